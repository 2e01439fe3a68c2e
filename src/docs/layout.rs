//! A layered layout of the whole table graph, computed once at build time: each
//! table's layer (the longest path to it from a table nothing writes) and its order in
//! the layer after barycentric crossing reduction. The page lays out any part of the
//! graph from these two numbers alone.

/// Each node's `(layer, order)`, by node index.
///
/// `edges` are `(from, to)` node indexes; duplicates and self-loops are ignored. A
/// cycle (possible only through tables outside the warehouse) is broken at the node
/// of the lowest index, so every node gets a place.
pub(super) fn layered(nodes: usize, edges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let (preds, succs) = adjacency(nodes, edges);
    let layers = longest_path_layers(&preds, &succs);
    let orders = reduce_crossings(&layers, &preds, &succs);
    layers.into_iter().zip(orders).collect()
}

/// Sorted, deduplicated predecessors and successors of each node.
fn adjacency(nodes: usize, edges: &[(usize, usize)]) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
    let mut preds = vec![Vec::new(); nodes];
    let mut succs = vec![Vec::new(); nodes];
    for &(from, to) in edges {
        if from != to && from < nodes && to < nodes {
            preds[to].push(from);
            succs[from].push(to);
        }
    }
    for list in preds.iter_mut().chain(succs.iter_mut()) {
        list.sort_unstable();
        list.dedup();
    }
    (preds, succs)
}

/// The longest path from a node without predecessors (layer 0) to each node: Kahn's
/// order, and when only cycles are left, the lowest-index node left goes next.
fn longest_path_layers(preds: &[Vec<usize>], succs: &[Vec<usize>]) -> Vec<usize> {
    let nodes = preds.len();
    let mut waiting: Vec<usize> = preds.iter().map(Vec::len).collect();
    let mut layer = vec![0usize; nodes];
    let mut placed = vec![false; nodes];
    let mut ready: std::collections::BTreeSet<usize> = (0..nodes).filter(|&n| waiting[n] == 0).collect();
    let mut next_unplaced = 0;
    for _ in 0..nodes {
        let node = if let Some(node) = ready.pop_first() {
            node
        } else {
            // Only cycles are left: break one at its lowest node.
            while placed[next_unplaced] {
                next_unplaced += 1;
            }
            next_unplaced
        };
        placed[node] = true;
        for &succ in &succs[node] {
            if placed[succ] {
                continue;
            }
            layer[succ] = layer[succ].max(layer[node] + 1);
            waiting[succ] = waiting[succ].saturating_sub(1);
            if waiting[succ] == 0 {
                ready.insert(succ);
            }
        }
    }
    layer
}

/// Sweeps down (by predecessors) and up (by successors), ordering each layer by the
/// mean position of a node's neighbours; a node without neighbours on that side keeps
/// its place. Positions are relative (0..1) so neighbours in any layer count.
fn reduce_crossings(layers: &[usize], preds: &[Vec<usize>], succs: &[Vec<usize>]) -> Vec<usize> {
    const SWEEPS: usize = 4;
    let depth = layers.iter().copied().max().map_or(0, |max| max + 1);
    let mut by_layer: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for (node, &layer) in layers.iter().enumerate() {
        by_layer[layer].push(node);
    }
    let mut position = vec![0.0f64; layers.len()];
    let place = |by_layer: &[Vec<usize>], position: &mut [f64], layer: usize| {
        let size = float(by_layer[layer].len());
        for (order, &node) in by_layer[layer].iter().enumerate() {
            position[node] = (float(order) + 0.5) / size;
        }
    };
    for layer in 0..depth {
        place(&by_layer, &mut position, layer);
    }
    for sweep in 0..SWEEPS {
        let down = sweep % 2 == 0;
        let (neighbours, sequence): (&[Vec<usize>], Vec<usize>) = if down {
            (preds, (1..depth).collect())
        } else {
            (succs, (0..depth.saturating_sub(1)).rev().collect())
        };
        for layer in sequence {
            let mut keyed: Vec<(f64, usize)> = by_layer[layer]
                .iter()
                .map(|&node| {
                    let around = &neighbours[node];
                    let key = if around.is_empty() {
                        position[node]
                    } else {
                        around.iter().map(|&n| position[n]).sum::<f64>() / float(around.len())
                    };
                    (key, node)
                })
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            by_layer[layer] = keyed.into_iter().map(|(_, node)| node).collect();
            place(&by_layer, &mut position, layer);
        }
    }
    let mut order = vec![0usize; layers.len()];
    for nodes in &by_layer {
        for (index, &node) in nodes.iter().enumerate() {
            order[node] = index;
        }
    }
    order
}

/// A count as a float; counts past `u32::MAX` (never reached) saturate.
fn float(count: usize) -> f64 {
    f64::from(u32::try_from(count).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_follow_the_longest_path() {
        // 0 → 1 → 2, 0 → 2, 3 alone.
        let placed = layered(4, &[(0, 1), (1, 2), (0, 2)]);
        assert_eq!(placed.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 1, 2, 0]);
    }

    #[test]
    fn orders_are_unique_in_each_layer_and_crossings_are_removed() {
        // Sources 0, 1; targets 2 (from 1) and 3 (from 0): by name 2 would sit above 3
        // and the edges would cross; the sweep swaps them.
        let placed = layered(4, &[(1, 2), (0, 3)]);
        assert_eq!(placed[0], (0, 0));
        assert_eq!(placed[1], (0, 1));
        assert_eq!(placed[3], (1, 0));
        assert_eq!(placed[2], (1, 1));
    }

    #[test]
    fn a_cycle_still_places_every_node() {
        let placed = layered(3, &[(0, 1), (1, 2), (2, 1)]);
        assert_eq!(placed.len(), 3);
        assert_eq!(placed[0].0, 0);
        assert!(placed[1].0 >= 1 && placed[2].0 >= 1);
        assert_ne!(placed[1], placed[2]);
    }

    #[test]
    fn the_same_graph_gives_the_same_layout() {
        let edges: Vec<(usize, usize)> = (1..200)
            .map(|n| (n / 3, n))
            .chain((5..200).map(|n| (n - 5, n)))
            .collect();
        assert_eq!(layered(200, &edges), layered(200, &edges));
    }
}
