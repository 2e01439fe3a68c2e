// flowc docs: the catalog and lineage browser of one repository, in one offline file.
// Reads the data flowc embeds (see the data contract, version 1), builds its indexes
// once, and renders only what is on screen: at most CAP search results and GRAPH_CAP
// tables in the lineage picture. Every repository string reaches the page through
// textContent or an attribute setter, never as markup.
(function () {
  'use strict';

  var CAP = 200;
  var GRAPH_CAP = 150;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var KINDS = ['team', 'flow', 'table', 'task', 'column'];
  var KIND = { team: 0, flow: 1, table: 2, task: 3, column: 4 };

  var D; // the data
  var X; // the indexes built from it
  var state = { sel: null, expand: new Set(), depthUp: 2, depthDown: 2, indirect: false };

  function $(id) { return document.getElementById(id); }

  // An element with attributes and children (strings become text nodes).
  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function sv(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (var k in attrs) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, String(attrs[k]));
    }
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  // ---- names and links -------------------------------------------------------------
  function taskId(k) { return D.flows[D.tasks[k].flow].name + '.' + D.tasks[k].name; }
  function colId(c) { return D.tables[X.colTable[c]].name + '.' + colOf(c).name; }
  function colOf(c) { var t = X.colTable[c]; return D.tables[t].columns[c - X.colStart[t]]; }
  function nameOf(kind, i) {
    if (kind === 'team') return D.teams[i].name;
    if (kind === 'flow') return D.flows[i].name;
    if (kind === 'table') return D.tables[i].name;
    if (kind === 'task') return taskId(i);
    return colId(i);
  }
  function hrefOf(kind, i) { return '#' + kind + '/' + encodeURIComponent(nameOf(kind, i)); }
  function link(kind, i, text) {
    if (i === null || i === undefined || i < 0) return el('span', { class: 'muted' }, '—');
    return el('a', { href: hrefOf(kind, i), class: 'ref ' + kind }, text === undefined ? nameOf(kind, i) : text);
  }
  function lookup(kind, name) {
    if (kind === 'team') return idx(X.teamByName, name);
    if (kind === 'flow') return idx(X.flowByName, name);
    if (kind === 'table') return idx(X.tableByName, name);
    if (kind === 'task') return idx(X.taskById, name);
    if (kind === 'column') {
      var dot = name.lastIndexOf('.');
      var t = dot > 0 ? idx(X.tableByName, name.slice(0, dot)) : -1;
      if (t < 0) return -1;
      var cols = D.tables[t].columns, col = name.slice(dot + 1);
      for (var c = 0; c < cols.length; c++) if (cols[c].name === col) return X.colStart[t] + c;
    }
    return -1;
  }
  function idx(map, name) { var i = map.get(name); return i === undefined ? -1 : i; }

  // ---- the data, with what flowc leaves out filled in ------------------------------
  var NONE = [];
  function normalize(d) {
    ['teams', 'flows', 'tasks', 'tables', 'lineage', 'indirect'].forEach(function (k) { if (!Array.isArray(d[k])) d[k] = []; });
    function lists(o, keys) { keys.forEach(function (k) { if (!Array.isArray(o[k])) o[k] = NONE; }); }
    function nulls(o, keys) { keys.forEach(function (k) { if (o[k] === undefined) o[k] = null; }); }
    d.flows.forEach(function (f) { lists(f, ['tasks']); nulls(f, ['team', 'schedule', 'description', 'file']); });
    d.tasks.forEach(function (k) {
      lists(k, ['reads', 'writes', 'upstream', 'downstream']);
      nulls(k, ['schedule', 'priority', 'description', 'file', 'sql']);
    });
    d.tables.forEach(function (tb) {
      lists(tb, ['columns', 'readers', 'rules', 'grants', 'classifications']);
      nulls(tb, ['description', 'owner', 'writer']);
      if (!tb.database) tb.database = tb.name.split('.')[0];
      if (!tb.physical) tb.physical = tb.name;
      if (typeof tb.layer !== 'number') tb.layer = 0;
      if (typeof tb.order !== 'number') tb.order = 0;
      tb.columns.forEach(function (col) {
        lists(col, ['classifications']);
        nulls(col, ['type', 'description']);
        col.partition = !!col.partition;
      });
    });
    return d;
  }

  // ---- indexes, built once ---------------------------------------------------------
  function buildIndexes(d) {
    var T = d.tables, K = d.tasks, nT = T.length, x = {};
    x.teamByName = new Map(d.teams.map(function (t, i) { return [t.name, i]; }));
    x.flowByName = new Map(d.flows.map(function (f, i) { return [f.name, i]; }));
    x.tableByName = new Map(T.map(function (t, i) { return [t.name, i]; }));
    x.taskById = new Map();
    K.forEach(function (k, i) { x.taskById.set(d.flows[k.flow].name + '.' + k.name, i); });

    // Columns get one global number: colStart[table] + position.
    x.colStart = new Int32Array(nT + 1);
    var n = 0;
    for (var t = 0; t < nT; t++) { x.colStart[t] = n; n += T[t].columns.length; }
    x.colStart[nT] = n;
    x.colTable = new Int32Array(n);
    for (t = 0; t < nT; t++) x.colTable.fill(t, x.colStart[t], x.colStart[t + 1]);
    // The columns each table's writer writes: an INDIRECT source bears on these.
    x.written = new Uint8Array(n);
    for (t = 0; t < nT; t++) {
      (Array.isArray(T[t].written) ? T[t].written : []).forEach(function (ci) {
        if (ci >= 0 && ci < T[t].columns.length) x.written[x.colStart[t] + ci] = 1;
      });
    }

    // Column lineage as two compressed adjacency lists of edge numbers.
    var L = d.lineage, E = L.length;
    x.eFrom = new Int32Array(E); x.eTo = new Int32Array(E);
    x.eTask = new Int32Array(E); x.eDirect = new Uint8Array(E); x.eSub = new Array(E);
    var upOff = new Int32Array(n + 1), downOff = new Int32Array(n + 1);
    for (var e = 0; e < E; e++) {
      var l = L[e];
      var from = x.colStart[l[0]] + l[1], to = x.colStart[l[2]] + l[3];
      x.eFrom[e] = from; x.eTo[e] = to; x.eTask[e] = l[4]; x.eSub[e] = l[5]; x.eDirect[e] = l[6] ? 1 : 0;
      upOff[to + 1]++; downOff[from + 1]++;
    }
    for (var c = 0; c < n; c++) { upOff[c + 1] += upOff[c]; downOff[c + 1] += downOff[c]; }
    x.upOff = upOff; x.downOff = downOff;
    x.upEdge = new Int32Array(E); x.downEdge = new Int32Array(E);
    var upFill = upOff.slice(0, n), downFill = downOff.slice(0, n);
    for (e = 0; e < E; e++) { x.upEdge[upFill[x.eTo[e]]++] = e; x.downEdge[downFill[x.eFrom[e]]++] = e; }

    // INDIRECT sources: a column that bears on every column a task writes into a table
    // (the table's `written` columns);
    // grouped by that table and by the source column.
    var I = d.indirect, NI = I.length;
    x.iFrom = new Int32Array(NI); x.iTo = new Int32Array(NI); x.iTask = new Int32Array(NI); x.iSub = new Array(NI);
    var byTo = new Int32Array(nT + 1), byFrom = new Int32Array(n + 1);
    for (var j = 0; j < NI; j++) {
      var it = I[j];
      x.iFrom[j] = x.colStart[it[0]] + it[1]; x.iTo[j] = it[2]; x.iTask[j] = it[3]; x.iSub[j] = it[4];
      byTo[it[2] + 1]++; byFrom[x.iFrom[j] + 1]++;
    }
    for (t = 0; t < nT; t++) byTo[t + 1] += byTo[t];
    for (c = 0; c < n; c++) byFrom[c + 1] += byFrom[c];
    x.iByToOff = byTo; x.iByFromOff = byFrom;
    x.iByTo = new Int32Array(NI); x.iByFrom = new Int32Array(NI);
    var toFill = byTo.slice(0, nT), fromFill = byFrom.slice(0, n);
    for (j = 0; j < NI; j++) { x.iByTo[toFill[x.iTo[j]]++] = j; x.iByFrom[fromFill[x.iFrom[j]]++] = j; }

    // Table-level edges: every table a task reads to every table it writes.
    x.tUp = []; x.tDown = [];
    for (t = 0; t < nT; t++) { x.tUp.push([]); x.tDown.push([]); }
    x.edgeTasks = new Map();
    K.forEach(function (k, ki) {
      k.reads.forEach(function (r) {
        k.writes.forEach(function (w) {
          if (r === w) return;
          var key = r * nT + w, tasks = x.edgeTasks.get(key);
          if (!tasks) { x.edgeTasks.set(key, tasks = []); x.tUp[w].push(r); x.tDown[r].push(w); }
          tasks.push(ki);
        });
      });
    });

    // Filter values.
    var dbs = new Map(), classes = new Map();
    T.forEach(function (tb) {
      if (!dbs.has(tb.database)) dbs.set(tb.database, 0);
      tb.columns.forEach(function (col) { col.classifications.forEach(function (k) { classes.set(k, 0); }); });
    });
    x.databases = Array.from(dbs.keys()).sort();
    x.classes = Array.from(classes.keys()).sort();
    x.dbIndex = new Map(x.databases.map(function (v, i) { return [v, i]; }));
    x.classIndex = new Map(x.classes.map(function (v, i) { return [v, i]; }));
    x.tasksOfFlow = d.flows.map(function () { return []; });
    K.forEach(function (k, i) { x.tasksOfFlow[k.flow].push(i); });
    buildSearch(d, x);
    return x;
  }

  // One search item per team, flow, table, task and column, in that order; each keeps a
  // lower-cased name, its flow, team, layer and classifications for the filters.
  function buildSearch(d, x) {
    var T = d.tables, total = d.teams.length + d.flows.length + T.length + d.tasks.length + x.colTable.length;
    var it = { kind: new Uint8Array(total), ref: new Int32Array(total), key: new Array(total),
      short: new Int32Array(total), desc: new Array(total), flow: new Int32Array(total).fill(-1),
      team: new Int32Array(total).fill(-1), db: new Int32Array(total).fill(-1), cls: new Array(total) };
    var i = 0;
    function add(kind, ref, name, desc, flow, team, db, cls) {
      var key = name.toLowerCase();
      it.kind[i] = kind; it.ref[i] = ref; it.key[i] = key; it.short[i] = key.lastIndexOf('.') + 1;
      it.desc[i] = desc ? desc.toLowerCase() : ''; it.flow[i] = flow; it.team[i] = team; it.db[i] = db;
      it.cls[i] = cls; i++;
    }
    d.teams.forEach(function (tm, n) { add(0, n, tm.name, null, -1, n, -1, null); });
    d.flows.forEach(function (f, n) { add(1, n, f.name, f.description, n, own(f.team), -1, null); });
    var tFlow = new Int32Array(T.length), tCls = new Array(T.length);
    T.forEach(function (tb, n) {
      var flow = tb.writer === null ? -1 : d.tasks[tb.writer].flow, set = null;
      tb.columns.forEach(function (col) {
        col.classifications.forEach(function (k) { (set = set || new Set()).add(x.classIndex.get(k)); });
      });
      tFlow[n] = flow; tCls[n] = set;
      add(2, n, tb.name, tb.description, flow, own(tb.owner), x.dbIndex.get(tb.database), set);
    });
    d.tasks.forEach(function (k, n) {
      var w = k.writes.length ? x.dbIndex.get(T[k.writes[0]].database) : -1;
      add(3, n, d.flows[k.flow].name + '.' + k.name, k.description, k.flow, own(d.flows[k.flow].team), w, null);
    });
    T.forEach(function (tb, n) {
      var db = x.dbIndex.get(tb.database), team = own(tb.owner);
      tb.columns.forEach(function (col, c) {
        var cls = col.classifications.length ? new Set(col.classifications.map(function (k) { return x.classIndex.get(k); })) : null;
        add(4, x.colStart[n] + c, tb.name + '.' + col.name, col.description, tFlow[n], team, db, cls);
      });
    });
    x.items = it;
  }
  function own(v) { return v === null || v === undefined ? -1 : v; }

  // ---- search and filters ----------------------------------------------------------
  function filterValue(id) { var v = $(id).value; return v === '' ? -1 : Number(v); }

  function search(query) {
    var q = query.trim().toLowerCase(), it = X.items, n = it.kind.length;
    var fFlow = filterValue('filter-flow'), fTeam = filterValue('filter-team');
    var fDb = filterValue('filter-layer'), fCls = filterValue('filter-class');
    var buckets = [[], [], [], []], total = 0;
    for (var i = 0; i < n; i++) {
      if ((fFlow >= 0 && it.flow[i] !== fFlow) || (fTeam >= 0 && it.team[i] !== fTeam) ||
          (fDb >= 0 && it.db[i] !== fDb) || (fCls >= 0 && !(it.cls[i] && it.cls[i].has(fCls)))) continue;
      var b;
      if (!q) b = 2;
      else {
        var key = it.key[i], p = key.indexOf(q);
        if (p < 0) { if (it.desc[i] && it.desc[i].indexOf(q) >= 0) b = 3; else continue; }
        else if (key === q || (p === it.short[i] && key.length - p === q.length)) b = 0;
        else if (p === 0 || p === it.short[i]) b = 1;
        else b = 2;
      }
      total++;
      if (buckets[b].length < CAP) buckets[b].push(i);
    }
    var out = buckets[0].concat(buckets[1], buckets[2], buckets[3]).slice(0, CAP);
    return { items: out, total: total };
  }

  function renderResults() {
    var res = search($('search').value), list = clear($('results')), it = X.items;
    res.items.forEach(function (i) {
      var kind = KINDS[it.kind[i]], ref = it.ref[i], name = nameOf(kind, ref);
      // A column or a task by its own name first, then where it lives.
      var dot = kind === 'column' || kind === 'task' ? name.lastIndexOf('.') : -1;
      var label = dot < 0 ? name : [el('b', null, name.slice(dot + 1)), ' ', el('span', { class: 'ctx' }, name.slice(0, dot))];
      var a = el('a', { href: hrefOf(kind, ref), 'data-result': kind + ':' + name, title: name + hint(kind, ref) },
        el('span', { class: 'kind ' + kind }, kind), ' ', el('span', { class: 'name' }, label));
      if (state.sel && state.sel.kind === kind && state.sel.i === ref) a.className = 'current';
      list.appendChild(el('li', null, a));
    });
    var more = res.total - res.items.length;
    $('result-count').textContent = res.total === 0 ? 'nothing found' :
      res.total + (res.total === 1 ? ' result' : ' results') + (more > 0 ? ' (first ' + res.items.length + ' shown)' : '');
    if (more > 0) list.appendChild(el('li', { class: 'more' }, more + ' more: refine the search or a filter'));
  }
  function hint(kind, i) {
    var text = null;
    if (kind === 'column') text = colOf(i).type;
    else if (kind === 'task') text = D.tasks[i].type;
    else if (kind === 'table' && D.tables[i].external) text = 'external';
    return text ? ' (' + text + ')' : '';
  }

  // ---- selection and the URL fragment ----------------------------------------------
  function parseHash(hash) {
    var m = /^#(team|flow|table|task|column)\/(.+)$/.exec(hash);
    if (!m) return null;
    var name;
    try { name = decodeURIComponent(m[2]); } catch (err) { return { kind: m[1], i: -1, name: m[2] }; }
    return { kind: m[1], i: lookup(m[1], name), name: name };
  }
  function select(sel, push) {
    if (!state.sel || !sel || state.sel.kind !== sel.kind || state.sel.i !== sel.i) state.expand = new Set();
    state.sel = sel;
    if (push && sel && sel.i >= 0) {
      var h = hrefOf(sel.kind, sel.i);
      if (location.hash !== h) history.pushState(null, '', h);
    }
    renderDetails();
    renderGraph();
    var cur = document.querySelector('#results a.current');
    if (cur) cur.className = '';
    if (sel && sel.i >= 0) {
      var mine = document.querySelector('#results a[href="' + cssEscape(hrefOf(sel.kind, sel.i)) + '"]');
      if (mine) mine.className = 'current';
    }
  }
  function cssEscape(s) { return s.replace(/["\\]/g, '\\$&'); }
  function go(kind, i) { select({ kind: kind, i: i, name: nameOf(kind, i) }, true); }

  // ---- details panel ---------------------------------------------------------------
  function renderDetails() {
    var box = clear($('details')), sel = state.sel;
    if (!sel) { box.appendChild(overview()); return; }
    if (sel.i < 0) {
      box.appendChild(el('div', { class: 'empty' }, 'No ' + sel.kind + ' named ', el('code', null, sel.name), ' in this repository.'));
      return;
    }
    var render = { team: teamDetails, flow: flowDetails, table: tableDetails, task: taskDetails, column: columnDetails }[sel.kind];
    box.appendChild(render(sel.i));
  }
  function overview() {
    return el('div', null, el('h2', null, D.project),
      el('p', null, D.tables.length + ' tables, ' + X.colTable.length + ' columns, ' + D.tasks.length + ' tasks in ' +
        D.flows.length + ' flows of ' + D.teams.length + ' teams; ' + D.lineage.length + ' DIRECT column lineage edges and ' + D.indirect.length + ' INDIRECT sources.'),
      el('p', { class: 'muted' }, 'Search on the left, or pick a flow:'), capped(D.flows.map(function (f, i) { return link('flow', i); })));
  }
  function heading(kind, title, sub) {
    return el('header', { class: 'head' }, el('span', { class: 'kind ' + kind }, kind), ' ', el('h2', null, title), sub ? el('div', { class: 'sub' }, sub) : null);
  }
  function facts(rows) {
    var dl = el('dl', { class: 'facts' });
    rows.forEach(function (r) { if (r && r[1] !== null && r[1] !== undefined) dl.appendChild(el('div', null, el('dt', null, r[0]), el('dd', null, r[1]))); });
    return dl;
  }
  function section(title, body) { return el('section', { class: 'part' }, el('h3', null, title), body); }
  // A list of nodes, at most CAP of them.
  function capped(items, empty) {
    if (!items.length) return el('p', { class: 'muted' }, empty || 'none');
    var ul = el('ul', { class: 'links' });
    items.slice(0, CAP).forEach(function (x) { ul.appendChild(el('li', null, x)); });
    if (items.length > CAP) ul.appendChild(el('li', { class: 'more' }, (items.length - CAP) + ' more'));
    return ul;
  }
  function desc(text) { return text ? el('p', { class: 'desc' }, text) : null; }
  function tags(list) { return list.map(function (k) { return el('span', { class: 'tag' }, k); }); }

  function tableDetails(t) {
    var tb = D.tables[t];
    var cols = el('table', { class: 'grid' }, el('thead', null, el('tr', null, el('th', null, 'column'), el('th', null, 'type'), el('th', null, 'classifications'), el('th', null, 'description'))));
    var body = el('tbody');
    tb.columns.forEach(function (col, c) {
      body.appendChild(el('tr', null,
        el('td', null, link('column', X.colStart[t] + c, col.name), col.partition ? el('span', { class: 'tag part' }, 'partition') : null),
        el('td', { class: 'mono' }, col.type || ''), el('td', null, tags(col.classifications)), el('td', null, col.description || '')));
    });
    cols.appendChild(body);
    var parts = tb.columns.filter(function (c) { return c.partition; }).map(function (c) { return c.name; });
    var writer = tb.writer === null ? null : tb.writer;
    return el('div', null,
      heading('table', tb.name, [tb.external ? el('span', { class: 'tag' }, 'external') : null, tb.source ? el('span', { class: 'tag' }, 'source') : null]),
      desc(tb.description),
      facts([['physical (' + D.environment + ')', el('code', null, tb.physical)], ['layer', tb.database],
        ['owner', tb.owner === null ? 'none' : link('team', tb.owner)], ['partitions', parts.length ? parts.join(', ') : 'none'],
        ['written by', writer === null ? 'no task (a source)' : link('task', writer)],
        ['flow', writer === null ? null : link('flow', D.tasks[writer].flow)]]),
      section('Columns (' + tb.columns.length + ')', cols),
      section('Read by', capped(tb.readers.map(function (k) { return link('task', k); }), 'no task reads it')),
      section('Quality rules', rules(tb.rules)),
      section('Grants', grants(tb.grants)),
      writer !== null && D.tasks[writer].sql ? section('SQL of ' + taskId(writer), sqlBlock(D.tasks[writer].sql)) : null);
  }
  function rules(list) {
    if (!list.length) return el('p', { class: 'muted' }, 'no rules');
    return capped(list.map(function (r) {
      return el('span', null, el('span', { class: 'tag ' + (r.severity === 'strong' ? 'strong' : 'weak') }, r.severity), ' ',
        el('b', null, r.name), ' ', el('code', null, r.check), r.task === null || r.task === undefined ? null : [' (', link('task', r.task), ')']);
    }));
  }
  function grants(list) {
    return capped(list.map(function (g) {
      return el('span', null, link('team', g.team), ' ', el('span', { class: 'tag' }, g.access), ' ', el('span', { class: 'muted' }, g.reason));
    }), 'no grants');
  }
  function taskDetails(k) {
    var tk = D.tasks[k];
    return el('div', null, heading('task', taskId(k)), desc(tk.description),
      facts([['flow', link('flow', tk.flow)], ['type', tk.type], ['schedule', tk.schedule ? el('code', null, tk.schedule) : null],
        ['priority', tk.priority], ['file', tk.file ? el('code', null, tk.file) : null]]),
      section('Upstream tasks', capped(tk.upstream.map(function (u) { return link('task', u); }))),
      section('Downstream tasks', capped(tk.downstream.map(function (u) { return link('task', u); }))),
      section('Reads', capped(tk.reads.map(function (t) { return link('table', t); }))),
      section('Writes', capped(tk.writes.map(function (t) { return link('table', t); }))),
      tk.sql ? section('SQL', sqlBlock(tk.sql)) : null);
  }
  function flowDetails(f) {
    var fl = D.flows[f];
    return el('div', null, heading('flow', fl.name), desc(fl.description),
      facts([['team', link('team', fl.team)], ['schedule', fl.schedule ? el('code', null, fl.schedule) : null], ['file', fl.file ? el('code', null, fl.file) : null]]),
      section('Tasks (' + fl.tasks.length + ')', capped(fl.tasks.map(function (k) {
        return el('span', null, link('task', k, D.tasks[k].name), ' ', el('span', { class: 'hint' }, D.tasks[k].type));
      }))));
  }
  function teamDetails(tm) {
    var flows = [], tables = [];
    D.flows.forEach(function (f, i) { if (f.team === tm) flows.push(link('flow', i)); });
    D.tables.forEach(function (t, i) { if (t.owner === tm) tables.push(link('table', i)); });
    return el('div', null, heading('team', D.teams[tm].name),
      section('Flows (' + flows.length + ')', capped(flows)), section('Tables it owns (' + tables.length + ')', capped(tables)));
  }
  function columnDetails(c) {
    var col = colOf(c), t = X.colTable[c], path = columnPath(c, state.indirect);
    var sources = path.sources, leaves = path.leaves, from = [], feeds = [], j, i;
    for (j = X.upOff[c]; j < X.upOff[c + 1]; j++) from.push(edgeRow(X.eFrom[X.upEdge[j]], X.upEdge[j]));
    for (j = X.iByToOff[t]; j < X.iByToOff[t + 1]; j++) from.push(edgeRow(X.iFrom[X.iByTo[j]], -1 - X.iByTo[j]));
    for (j = X.downOff[c]; j < X.downOff[c + 1]; j++) feeds.push(edgeRow(X.eTo[X.downEdge[j]], X.downEdge[j]));
    for (j = X.iByFromOff[c]; j < X.iByFromOff[c + 1]; j++) { i = X.iByFrom[j]; feeds.push(edgeRow(-1, -1 - i, X.iTo[i])); }
    return el('div', null, heading('column', colId(c), ['in ', link('table', t)]), desc(col.description),
      facts([['type', col.type ? el('code', null, col.type) : null], ['classifications', col.classifications.length ? tags(col.classifications) : 'none'],
        ['partition column', col.partition ? 'yes' : 'no'], ['owner', D.tables[t].owner === null ? 'none' : link('team', D.tables[t].owner)]]),
      section('Comes from', capped(from)),
      section('Feeds', capped(feeds)),
      section('Sources at the start of its ' + (state.indirect ? '' : 'DIRECT ') + 'path (' + sources.length + ')', capped(sources.map(function (p) { return link('column', p); }), 'none: nothing upstream')),
      section('Columns at the end of its ' + (state.indirect ? '' : 'DIRECT ') + 'path (' + leaves.length + ')', capped(leaves.map(function (p) { return link('column', p); }), 'none: nothing downstream')));
  }
  // One step of a column's lineage: the column at its other end (or, for an INDIRECT
  // source it feeds, every column of a table), how, and by which task.
  function edgeRow(other, ref, table) {
    return el('span', null, other >= 0 ? link('column', other) : ['every column of ', link('table', table)], ' ',
      el('span', { class: 'tag ' + (ref >= 0 && X.eDirect[ref] ? 'direct' : 'indirect') }, linkSub(ref)), ' via ', link('task', linkTask(ref)));
  }

  // ---- SQL highlighting: a small tokenizer, rendered as text nodes in spans --------
  var SQL_TOKEN = /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^'\\]|\\[\s\S])*'?|"(?:[^"\\]|\\[\s\S])*"?)|(\$\{[^}\n]*\}?|\{\{[\s\S]*?(?:\}\}|$))|(`[^`]*`?)|(\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*)/g;
  var KEYWORDS = new Set(('select from where and or not in is null as on join left right inner outer full cross ' +
    'group by order having limit with insert overwrite into table partition values union all distinct case when ' +
    'then else end over between like rlike exists create view if lateral explode asc desc cast interval ' +
    'true false semi anti using window rows range preceding following current row unbounded nulls first last ' +
    'set drop alter add columns tablesample cluster distribute sort merge update delete matched qualify').split(' '));
  var CLASSES = ['comment', 'string', 'placeholder', 'ident', 'number'];
  // A string literal, with the placeholders in it marked too ('${bizdate}').
  var IN_STRING = /\$\{[^}\n]*\}|\{\{[\s\S]*?\}\}/g;
  function stringToken(text) {
    var span = el('span', { class: 'tok-string' }), last = 0, m;
    IN_STRING.lastIndex = 0;
    while ((m = IN_STRING.exec(text)) !== null) {
      span.appendChild(document.createTextNode(text.slice(last, m.index)));
      span.appendChild(el('span', { class: 'tok-placeholder' }, m[0]));
      last = IN_STRING.lastIndex;
    }
    span.appendChild(document.createTextNode(text.slice(last)));
    return span;
  }
  function sqlBlock(sql) {
    var pre = el('pre', { class: 'sql' }), code = el('code'), last = 0, m;
    SQL_TOKEN.lastIndex = 0;
    while ((m = SQL_TOKEN.exec(sql)) !== null) {
      if (m[0] === '') { SQL_TOKEN.lastIndex++; continue; }
      if (m.index > last) code.appendChild(document.createTextNode(sql.slice(last, m.index)));
      var cls = null;
      for (var g = 1; g <= 5; g++) if (m[g] !== undefined) { cls = CLASSES[g - 1]; break; }
      if (!cls && KEYWORDS.has(m[0].toLowerCase())) cls = 'keyword';
      code.appendChild(cls === 'string' ? stringToken(m[0]) : cls ? el('span', { class: 'tok-' + cls }, m[0]) : document.createTextNode(m[0]));
      last = SQL_TOKEN.lastIndex;
    }
    if (last < sql.length) code.appendChild(document.createTextNode(sql.slice(last)));
    pre.appendChild(code);
    return pre;
  }

  // ---- column paths ----------------------------------------------------------------
  // The upstream path of column c to its sources and its downstream path to every leaf,
  // DIRECT edges only unless indirect is on. A link runs from a column to a column by
  // ref: ref >= 0 is an edge of `lineage`, ref < 0 the INDIRECT source -1 - ref (on
  // every column of its table).
  var pathCache = { key: null, value: null };
  function columnPath(c, indirect) {
    var key = c + (indirect ? 'i' : 'd');
    if (pathCache.key !== key) pathCache = { key: key, value: computePath(c, indirect) };
    return pathCache.value;
  }
  function computePath(c, indirect) {
    var up = walk(c, true, indirect), down = walk(c, false, indirect);
    var cols = new Set(up.cols);
    down.cols.forEach(function (v) { cols.add(v); });
    return { cols: cols, up: up.cols, down: down.cols, indirect: indirect, sources: up.ends, leaves: down.ends };
  }
  function walk(c, up, indirect) {
    var cols = new Set([c]), ends = [], queue = [c], v, any;
    function visit(from, to) {
      var next = up ? from : to;
      any = true;
      if (!cols.has(next)) { cols.add(next); queue.push(next); }
    }
    for (var q = 0; q < queue.length; q++) {
      v = queue[q]; any = false;
      eachLink(v, up, indirect, visit);
      if (v !== c && !any) ends.push(v);
    }
    return { cols: cols, ends: ends };
  }
  // Calls fn(from, to, ref) for every link into column v (up) or out of it.
  function eachLink(v, up, indirect, fn) {
    var j, e, i;
    // (`lineage` holds DIRECT edges; one marked INDIRECT is followed only when asked.)
    if (up) for (j = X.upOff[v]; j < X.upOff[v + 1]; j++) { e = X.upEdge[j]; if (indirect || X.eDirect[e]) fn(X.eFrom[e], v, e); }
    else for (j = X.downOff[v]; j < X.downOff[v + 1]; j++) { e = X.downEdge[j]; if (indirect || X.eDirect[e]) fn(v, X.eTo[e], e); }
    if (!indirect) return;
    if (up) {
      if (!X.written[v]) return;
      var t = X.colTable[v];
      for (j = X.iByToOff[t]; j < X.iByToOff[t + 1]; j++) { i = X.iByTo[j]; fn(X.iFrom[i], v, -1 - i); }
    } else {
      for (j = X.iByFromOff[v]; j < X.iByFromOff[v + 1]; j++) {
        i = X.iByFrom[j];
        for (var cc = X.colStart[X.iTo[i]]; cc < X.colStart[X.iTo[i] + 1]; cc++) if (X.written[cc]) fn(v, cc, -1 - i);
      }
    }
  }
  function linkSub(ref) { return ref >= 0 ? X.eSub[ref] : X.iSub[-1 - ref]; }
  function linkTask(ref) { return ref >= 0 ? X.eTask[ref] : X.iTask[-1 - ref]; }

  // ---- the lineage graph -----------------------------------------------------------
  // Which tables to show: the focus, its neighbourhood to the depths asked (level by
  // level, both ways), the whole column path when a column is selected, and one more
  // step from every node the user expanded; at most GRAPH_CAP tables.
  function graphNodes(focus, pathTables) {
    var nodes = new Map(), left = new Set();
    function add(t, dist) {
      if (nodes.has(t)) return true;
      if (nodes.size >= GRAPH_CAP) { left.add(t); return false; }
      nodes.set(t, dist);
      return true;
    }
    focus.forEach(function (t) { add(t, 0); });
    pathTables.forEach(function (t) { add(t, 1); });
    var upFront = focus.slice(), downFront = focus.slice();
    var depth = Math.max(state.depthUp, state.depthDown);
    for (var level = 1; level <= depth; level++) {
      if (level <= state.depthUp) upFront = step(upFront, X.tUp, level);
      if (level <= state.depthDown) downFront = step(downFront, X.tDown, level);
    }
    function step(front, adj, level) {
      var next = [];
      front.forEach(function (t) { adj[t].forEach(function (u) { if (!nodes.has(u) && add(u, level)) next.push(u); }); });
      return next;
    }
    var grown = true;
    while (grown) {
      grown = false;
      state.expand.forEach(function (key) {
        var dir = key[0], t = Number(key.slice(2));
        if (!nodes.has(t)) return;
        (dir === 'u' ? X.tUp : X.tDown)[t].forEach(function (u) { if (!nodes.has(u) && add(u, 1)) grown = true; });
      });
    }
    nodes.forEach(function (_, t) { left.delete(t); });
    return { nodes: nodes, left: left.size };
  }

  function focusOf(sel) {
    if (!sel || sel.i < 0) return null;
    if (sel.kind === 'table') return [sel.i];
    if (sel.kind === 'column') return [X.colTable[sel.i]];
    if (sel.kind === 'task') { var k = D.tasks[sel.i]; return k.writes.length ? k.writes.slice() : k.reads.slice(); }
    if (sel.kind === 'flow') {
      var seen = new Set();
      X.tasksOfFlow[sel.i].forEach(function (k) { D.tasks[k].writes.forEach(function (t) { seen.add(t); }); });
      return Array.from(seen);
    }
    return null;
  }

  function renderGraph() {
    var box = clear($('graph')), note = $('graph-note'), sel = state.sel, focus = focusOf(sel);
    note.textContent = '';
    $('graph-title').textContent = focus ? 'Lineage of ' + nameOf(sel.kind, sel.i) : 'Lineage';
    if (!focus || !focus.length) {
      box.appendChild(el('p', { class: 'muted hint-box' }, sel && sel.i >= 0 ? 'This ' + sel.kind + ' has no tables to draw.' :
        'Select a table, column, task or flow to see its lineage.'));
      return;
    }
    var path = sel.kind === 'column' ? columnPath(sel.i, state.indirect) : null;
    var pathTables = [], rowsOf = new Map();
    if (path) {
      path.cols.forEach(function (c) {
        var t = X.colTable[c];
        if (!rowsOf.has(t)) { rowsOf.set(t, []); pathTables.push(t); }
        rowsOf.get(t).push(c);
      });
      rowsOf.forEach(function (rows) { rows.sort(function (a, b) { return a - b; }); });
    }
    var g = graphNodes(focus, pathTables);
    var layout = place(g.nodes, rowsOf);
    var edges = tableEdges(g.nodes, focus);
    // Shrunk to fit the panel's width, down to MIN_SCALE; scrolled past that.
    var scale = Math.max(MIN_SCALE, Math.min(1, (box.clientWidth - 4) / layout.width));
    var svg = sv('svg', { width: Math.ceil(layout.width * scale), height: Math.ceil(layout.height * scale), viewBox: '0 0 ' + layout.width + ' ' + layout.height, class: 'lineage' });
    var edgeLayer = sv('g', { class: 'edges' }), nodeLayer = sv('g', { class: 'nodes' });
    edges.forEach(function (e) {
      var a = layout.pos.get(e[0]), b = layout.pos.get(e[1]);
      var tasks = X.edgeTasks.get(e[0] * D.tables.length + e[1]);
      edgeLayer.appendChild(sv('path', { d: curve(a.x + a.w, a.y + 15, b.x, b.y + 15), class: 'edge' + (e[2] ? ' path' : '') + (path ? ' faint' : ''), 'data-edge': D.tables[e[0]].name + '>' + D.tables[e[1]].name },
        sv('title', null, D.tables[e[0]].name + ' → ' + D.tables[e[1]].name + ' (' + tasks.map(taskId).join(', ') + ')')));
    });
    var undrawn = path ? drawColumnEdges(edgeLayer, path, layout) : 0;
    g.nodes.forEach(function (_, t) { nodeLayer.appendChild(drawNode(t, layout.pos.get(t), rowsOf.get(t), focus, path, g.nodes)); });
    svg.appendChild(edgeLayer);
    svg.appendChild(nodeLayer);
    box.appendChild(svg);
    note.textContent = g.nodes.size + (g.nodes.size === 1 ? ' table' : ' tables') +
      (g.left ? '; ' + g.left + ' more not shown (at most ' + GRAPH_CAP + ')' : '') +
      (path ? '; ' + path.cols.size + ' columns on the path' : '') +
      (undrawn ? '; ' + undrawn + ' column links not drawn (at most ' + EDGE_CAP + ')' : '');
    var f = layout.pos.get(focus[0]);
    if (f) { box.scrollLeft = Math.max(0, (f.x + f.w / 2) * scale - box.clientWidth / 2); box.scrollTop = Math.max(0, f.y * scale - box.clientHeight / 3); }
  }

  // Columns = the layers present, compressed, upstream on the left; rows by `order`.
  var NODE_W = 240, GAP_X = 70, EDGE_CAP = 2000, MIN_SCALE = 0.65, GAP_Y = 14, HEAD_H = 42, ROW_H = 20, PAD = 16;
  function place(nodes, rowsOf) {
    var layers = new Map();
    nodes.forEach(function (_, t) {
      var l = D.tables[t].layer;
      if (!layers.has(l)) layers.set(l, []);
      layers.get(l).push(t);
    });
    var keys = Array.from(layers.keys()).sort(function (a, b) { return a - b; });
    var pos = new Map(), heights = [], maxH = 0;
    keys.forEach(function (l) {
      var list = layers.get(l).sort(function (a, b) { return D.tables[a].order - D.tables[b].order; }), h = 0;
      list.forEach(function (t) { h += nodeHeight(rowsOf.get(t)) + GAP_Y; });
      heights.push(h);
      maxH = Math.max(maxH, h);
    });
    keys.forEach(function (l, col) {
      var y = PAD + (maxH - heights[col]) / 2;
      layers.get(l).forEach(function (t) {
        var h = nodeHeight(rowsOf.get(t));
        pos.set(t, { x: PAD + col * (NODE_W + GAP_X), y: y, w: NODE_W, h: h });
        y += h + GAP_Y;
      });
    });
    return { pos: pos, width: PAD * 2 + keys.length * (NODE_W + GAP_X) - GAP_X, height: PAD * 2 + maxH };
  }
  function nodeHeight(rows) { return HEAD_H + (rows ? rows.length * ROW_H + 4 : 0); }
  function curve(x1, y1, x2, y2) {
    var dx = Math.max(30, (x2 - x1) / 2);
    return 'M' + x1 + ',' + y1 + ' C' + (x1 + dx) + ',' + y1 + ' ' + (x2 - dx) + ',' + y2 + ' ' + x2 + ',' + y2;
  }

  // Table-level edges among the shown tables; on the path when both ends are upstream
  // of the focus, or both downstream of it.
  function tableEdges(nodes, focus) {
    var list = [];
    nodes.forEach(function (_, t) { X.tDown[t].forEach(function (u) { if (nodes.has(u)) list.push([t, u, false]); }); });
    var up = reach(focus, X.tUp, nodes), down = reach(focus, X.tDown, nodes);
    list.forEach(function (e) { e[2] = (up.has(e[0]) && up.has(e[1])) || (down.has(e[0]) && down.has(e[1])); });
    return list;
  }
  function reach(start, adj, nodes) {
    var seen = new Set(start), queue = start.slice();
    for (var q = 0; q < queue.length; q++) {
      adj[queue[q]].forEach(function (u) { if (nodes.has(u) && !seen.has(u)) { seen.add(u); queue.push(u); } });
    }
    return seen;
  }

  function rowY(layout, c) {
    var p = layout.pos.get(X.colTable[c]);
    if (!p || !p.rows) return null;
    var r = p.rows.get(c);
    return r === undefined ? null : { p: p, y: p.y + HEAD_H + r * ROW_H + ROW_H / 2 };
  }
  function drawColumnEdges(layer, path, layout) {
    // Rows follow the column order in the table, as drawn by drawNode.
    layout.pos.forEach(function (p) { p.rows = new Map(); });
    Array.from(path.cols).sort(function (a, b) { return a - b; }).forEach(function (c) {
      var p = layout.pos.get(X.colTable[c]);
      if (p) p.rows.set(c, p.rows.size);
    });
    // A link is on the path when its target is upstream of the focus or its source
    // downstream: all links into the up set and out of the down set, between rows shown.
    // One line per pair of columns (a DIRECT edge before INDIRECT ones), at most
    // EDGE_CAP of them.
    var links = new Map(), n = X.colTable.length;
    function add(a, b, ref) {
      if (!layout.pos.has(X.colTable[a]) || !layout.pos.has(X.colTable[b])) return;
      var key = a * n + b, had = links.get(key);
      if (had === undefined || (ref >= 0 && X.eDirect[ref] && !(had >= 0 && X.eDirect[had]))) links.set(key, ref);
    }
    layout.pos.forEach(function (p) {
      p.rows.forEach(function (_, v) {
        if (path.up.has(v)) eachLink(v, true, path.indirect, add);
        if (path.down.has(v)) eachLink(v, false, path.indirect, add);
      });
    });
    var drawn = 0;
    links.forEach(function (ref, key) {
      if (drawn >= EDGE_CAP) return;
      var l = [Math.floor(key / n), key % n, ref];
      var a = rowY(layout, l[0]), b = rowY(layout, l[1]);
      if (!a || !b) return;
      drawn++;
      var d = a.p === b.p ? loop(a.p.x + a.p.w, a.y, b.y) : curve(a.p.x + a.p.w, a.y, b.p.x, b.y);
      layer.appendChild(sv('path', { d: d, class: 'edge col path' + (l[2] >= 0 && X.eDirect[l[2]] ? '' : ' indirect'), 'data-edge': colId(l[0]) + '>' + colId(l[1]) },
        sv('title', null, colId(l[0]) + ' → ' + colId(l[1]) + ' ' + linkSub(l[2]) + ' via ' + taskId(linkTask(l[2])))));
    });
    return links.size - drawn;
  }
  function loop(x, y1, y2) { return 'M' + x + ',' + y1 + ' C' + (x + 40) + ',' + y1 + ' ' + (x + 40) + ',' + y2 + ' ' + x + ',' + y2; }

  function drawNode(t, p, rows, focus, path, nodes) {
    var tb = D.tables[t], isFocus = focus.indexOf(t) >= 0;
    var g = sv('g', { 'data-node': tb.name, class: 'node' + (isFocus ? ' focus' : '') + (tb.external ? ' external' : ''), transform: 'translate(' + p.x + ',' + p.y + ')' });
    g.appendChild(sv('rect', { width: p.w, height: p.h, rx: 6, class: 'box' }));
    var label = fit(tb.name, 27);
    g.appendChild(sv('text', { x: 10, y: 17, class: 'name' }, label, sv('title', null, tb.name + (tb.description ? '\n' + tb.description : ''))));
    g.addEventListener('click', function () { go('table', t); });
    var hiddenUp = X.tUp[t].filter(function (u) { return !nodes.has(u); }).length;
    var hiddenDown = X.tDown[t].filter(function (u) { return !nodes.has(u); }).length;
    if (hiddenUp) g.appendChild(badge('u', t, '+' + hiddenUp + ' upstream', 10, 'start'));
    if (hiddenDown) g.appendChild(badge('d', t, '+' + hiddenDown + ' downstream', p.w - 10, 'end'));
    if (!hiddenUp && !hiddenDown) g.appendChild(sv('text', { x: 10, y: 34, class: 'meta' }, tb.database + (tb.external ? ' · external' : '')));
    (rows || []).forEach(function (c, r) {
      var col = colOf(c), y = HEAD_H + r * ROW_H;
      var row = sv('g', { 'data-column': colId(c), class: 'path' + (path && c === state.sel.i ? ' focus' : '') },
        sv('rect', { x: 4, y: y, width: p.w - 8, height: ROW_H - 2, rx: 3 }),
        sv('text', { x: 12, y: y + 13 }, fit(col.name, 28), sv('title', null, colId(c) + (col.type ? ' ' + col.type : ''))));
      row.addEventListener('click', function (ev) { ev.stopPropagation(); go('column', c); });
      g.appendChild(row);
    });
    return g;
  }
  // Text cut to what fits a node (monospace), the middle elided so both ends show.
  function fit(text, max) {
    if (text.length <= max) return text;
    var head = Math.ceil((max - 1) / 2);
    return text.slice(0, head) + '…' + text.slice(text.length - (max - 1 - head));
  }
  function badge(dir, t, text, x, anchor) {
    var b = sv('text', { x: x, y: 34, class: 'badge', 'text-anchor': anchor, 'data-expand': dir === 'u' ? 'upstream' : 'downstream', role: 'button' }, text,
      sv('title', null, 'show one more step ' + (dir === 'u' ? 'upstream' : 'downstream') + ' from here'));
    b.addEventListener('click', function (ev) { ev.stopPropagation(); state.expand.add(dir + ':' + t); renderGraph(); });
    return b;
  }

  // ---- start -----------------------------------------------------------------------
  function fillFilters() {
    function opts(id, names) {
      var s = $(id);
      names.forEach(function (name, i) { s.appendChild(el('option', { value: i }, name)); });
    }
    opts('filter-flow', D.flows.map(function (f) { return f.name; }));
    opts('filter-team', D.teams.map(function (t) { return t.name; }));
    opts('filter-layer', X.databases);
    opts('filter-class', X.classes);
  }
  function depth(id) { var v = parseInt($(id).value, 10); return isNaN(v) || v < 0 ? 0 : Math.min(v, 50); }

  function start() {
    mark('flowc-start');
    D = normalize(JSON.parse($('flowc-data').textContent));
    mark('flowc-parsed');
    X = buildIndexes(D);
    mark('flowc-indexed');
    $('project').textContent = D.project;
    $('environment').textContent = D.environment + (D.revision ? ' @ ' + String(D.revision).slice(0, 12) : '');
    fillFilters();
    $('search').addEventListener('input', renderResults);
    // Enter opens the first result; "/" anywhere else jumps to the search box.
    $('search').addEventListener('keydown', function (ev) {
      var first = document.querySelector('#results a');
      if (ev.key === 'Enter' && first) { ev.preventDefault(); location.hash = first.getAttribute('href'); }
    });
    document.addEventListener('keydown', function (ev) {
      var t = ev.target.tagName;
      if (ev.key === '/' && t !== 'INPUT' && t !== 'SELECT' && t !== 'TEXTAREA') { ev.preventDefault(); $('search').focus(); }
    });
    ['filter-flow', 'filter-team', 'filter-layer', 'filter-class'].forEach(function (id) { $(id).addEventListener('change', renderResults); });
    ['depth-up', 'depth-down'].forEach(function (id) {
      $(id).addEventListener('change', function () {
        var up = depth('depth-up'), down = depth('depth-down');
        if (up === state.depthUp && down === state.depthDown) return;
        state.depthUp = up; state.depthDown = down;
        renderGraph();
      });
    });
    $('indirect').addEventListener('change', function () { state.indirect = $('indirect').checked; renderDetails(); renderGraph(); });
    window.addEventListener('hashchange', function () { select(parseHash(location.hash), false); });
    state.depthUp = depth('depth-up'); state.depthDown = depth('depth-down'); state.indirect = $('indirect').checked;
    renderResults();
    select(parseHash(location.hash), false);
    document.body.dataset.ready = '1';
    mark('flowc-ready');
  }
  // Timings the bench reads (performance.getEntriesByType('mark')).
  function mark(name) { if (window.performance && performance.mark) performance.mark(name); }

  try { start(); } catch (err) {
    document.body.dataset.error = '1';
    var box = $('details');
    if (box) { clear(box); box.appendChild(el('p', { class: 'error' }, 'This page could not read its data: ' + err.message)); }
    throw err;
  }
})();
