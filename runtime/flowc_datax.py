#!/usr/bin/env python3
"""Runs DataX on a flowc job file whose credentials come from the environment.

flowc never writes secrets into DataX job files. Where DataX needs a credential,
the job file holds the placeholder ``${env:NAME}`` as the whole value of a
``username`` or ``password`` key, for example::

    "password": "${env:CORE_ORACLE_PASSWORD}"

The Airflow task runs this launcher instead of DataX itself::

    python3 flowc_datax.py JOB -- COMMAND [ARG...]

for example ``python3 flowc_datax.py jobs/load.json -- python /opt/datax/bin/datax.py
-p "-Dbizdate=2024-03-05"``. The launcher:

1. reads JOB as JSON;
2. replaces every ``username`` or ``password`` value (at any depth) that is exactly
   ``${env:NAME}``, NAME matching ``[A-Za-z_][A-Za-z0-9_]*``, with the value of the
   environment variable NAME. A missing or empty variable is an error; all of them
   are reported in one run, by name and JSON path, and COMMAND is not run. Any other
   ``${env:...}`` text (other keys, part of a longer string) is left as it is;
3. writes the resolved job to a private temporary file (mode 0600, in a fresh mode
   0700 directory), named after JOB so that DataX's log names stay readable;
4. runs ``COMMAND [ARG...] RESOLVED_JOB`` without a shell, forwarding SIGTERM and
   SIGINT to it (Airflow sends SIGTERM when a task is killed). COMMAND's stderr is
   inherited; its stdout goes through a pipe and is copied to the launcher's stdout
   byte for byte as it arrives, so the task log reads as if DataX wrote it;
5. while copying, looks for the statistics DataX prints at the end of a job::

       读出记录总数                    :            12000000
       读写失败总数                    :                   0

   (a label, spaces, a colon, spaces and an integer on a line of its own; each line is
   decoded as UTF-8 with errors replaced only to match it; the last read count wins,
   with the failed count printed after it). Once COMMAND has closed its stdout, waits
   for it;
6. always deletes the temporary file and directory, also after a signal;
7. if COMMAND exited 0 and no signal arrived, prints
   ``flowc_datax: DataX read N records, M failed`` (M is 0 if DataX printed no failed
   count) and then N alone, or ``flowc_datax: DataX printed no record count`` if it
   printed no read count. After a failure or a signal it prints nothing more;
8. exits with COMMAND's exit code.

A job without placeholders goes through the same steps.

Exit codes:
    COMMAND's exit code   when COMMAND ran; 128+N if it was killed by signal N, and
                          128+N when the launcher got signal N and COMMAND exited 0
    2                     wrong usage, JOB unreadable or not JSON, a variable missing
                          or empty (or not valid UTF-8), or the resolved job could
                          not be written
    126                   COMMAND could not be executed
    127                   COMMAND was not found
    128+N                 signal N arrived before COMMAND started

The last line of stdout: Airflow's BashOperator pushes the last line a task writes
to XCom. After a successful run the launcher's last line is either the number of
records DataX read, as ASCII digits and nothing else (``12000000``), or
``flowc_datax: DataX printed no record count``; it is written after COMMAND has
exited, so nothing COMMAND writes can follow it. flowc's data quality checks compare
the rows landed with that number only when the line is all digits, so a run without
a count never leaves a stale number behind. If COMMAND's output does not end with a
line break, the launcher adds one first.

Secret values are never printed: errors name variables and JSON paths only. If
COMMAND ignores SIGTERM the launcher keeps waiting; if the launcher itself is
killed with SIGKILL the temporary file cannot be removed. If writing to its own
stdout fails, the launcher stops copying but still reads COMMAND's output to the
end, so COMMAND never blocks on a full pipe.

Standard library only; Python 3.8 or later. flowc ships this file unchanged.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

PROG = "flowc_datax"
USAGE = "usage: flowc_datax.py JOB -- COMMAND [ARG...]"
SECRET_KEYS = ("username", "password")
PLACEHOLDER = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT)
READ_LABEL = "读出记录总数"
FAILED_LABEL = "读写失败总数"
SUMMARY = re.compile(r"\s*(%s|%s)\s*:\s*([0-9]+)\s*" % (READ_LABEL, FAILED_LABEL))
CHUNK = 65536
# Longer lines are copied but not matched (nor kept); summary lines are short.
MAX_LINE = 4096


class Failure(Exception):
    """An error reported as ``flowc_datax: <lines>`` on stderr, with exit code 2."""


def fail_lines(lines):
    for line in lines:
        sys.stderr.write("%s: %s\n" % (PROG, line))


def json_path(parent, key):
    """The JSON path of ``key`` (a str or list index) below ``parent``."""
    if isinstance(key, int):
        return "%s[%d]" % (parent, key)
    if IDENTIFIER.fullmatch(key):
        return "%s.%s" % (parent, key)
    return "%s[%s]" % (parent, json.dumps(key, ensure_ascii=False))


def resolve(node, path, environ, missing):
    """Replaces placeholders in ``node`` in place; appends (name, path, why) to ``missing``."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = json_path(path, key)
            if key in SECRET_KEYS and isinstance(value, str):
                match = PLACEHOLDER.fullmatch(value)
                if match:
                    name = match.group(1)
                    secret = environ.get(name, "")
                    if secret == "":
                        missing.append((name, here, "is not set"))
                        continue
                    try:
                        secret.encode("utf-8")
                    except UnicodeEncodeError:
                        missing.append((name, here, "is not valid UTF-8"))
                        continue
                    node[key] = secret
                    continue
            resolve(value, here, environ, missing)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            resolve(value, json_path(path, index), environ, missing)


def load_job(job):
    try:
        with open(job, "r", encoding="utf-8") as file:
            return json.load(file)
    except json.JSONDecodeError as error:
        raise Failure(
            ["%s is not valid JSON: line %d column %d: %s" % (job, error.lineno, error.colno, error.msg)]
        )
    except UnicodeDecodeError as error:
        raise Failure(["%s is not valid UTF-8 (byte %d)" % (job, error.start)])
    except OSError as error:
        raise Failure(["cannot read %s: %s" % (job, error.strerror or error)])


def write_job(document, job):
    """Writes ``document`` to a private temp file; returns (directory, path)."""
    base = os.path.basename(job)
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem:
        stem, ext = base, "json"
    directory = tempfile.mkdtemp(prefix="flowc_datax-")
    try:
        fd, path = tempfile.mkstemp(prefix=stem + ".", suffix="." + ext, dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(document, file, ensure_ascii=False, indent=2)
            file.write("\n")
    except OSError as error:
        shutil.rmtree(directory, ignore_errors=True)
        raise Failure(["cannot write the resolved job: %s" % (error.strerror or error)])
    return directory, path


class Forwarder:
    """Records SIGTERM/SIGINT and forwards them to the child once it exists."""

    def __init__(self):
        self.child = None
        self.received = None

    def handle(self, signum, _frame):
        self.received = signum
        self.forward(signum)

    def forward(self, signum):
        child = self.child
        if child is not None and child.returncode is None:
            try:
                child.send_signal(signum)
            except OSError:
                pass

    def install(self):
        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, self.handle)


class Summary:
    """Finds DataX's read and failed record counts in the lines of its stdout.

    The last read count wins, with the failed count that follows it (DataX prints
    the read line first), so counts of two summaries are never mixed.
    """

    def __init__(self):
        self.read = None
        self.failed = None
        self.line = bytearray()
        self.long = False

    def feed(self, data):
        """Takes the next bytes of output; matches each line they complete."""
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                self.keep(data[start:])
                return
            self.keep(data[start:end])
            self.match()
            start = end + 1

    def keep(self, part):
        if self.long:
            return
        self.line += part
        if len(self.line) > MAX_LINE:
            self.long = True
            del self.line[:]

    def match(self):
        """Matches the line collected so far and starts the next one."""
        if not self.long:
            found = SUMMARY.fullmatch(bytes(self.line).decode("utf-8", "replace"))
            if found and found.group(1) == READ_LABEL:
                self.read, self.failed = int(found.group(2)), None
            elif found:
                self.failed = int(found.group(2))
        del self.line[:]
        self.long = False

    def finish(self):
        """Matches a last line without a line break."""
        if self.line:
            self.match()

    def report(self):
        """The lines to print after a successful run, the last one for XCom."""
        if self.read is None:
            return ["%s: DataX printed no record count" % PROG]
        failed = 0 if self.failed is None else self.failed
        return ["%s: DataX read %d records, %d failed" % (PROG, self.read, failed), "%d" % self.read]


class Output:
    """The launcher's stdout, written unbuffered; after an error it is given up."""

    def __init__(self):
        self.broken = False
        self.at_line_start = True

    def write(self, data):
        if self.broken or not data:
            return
        view = memoryview(data)
        try:
            while view:
                written = os.write(1, view)
                view = view[written:]
        except OSError:
            self.broken = True
            return
        self.at_line_start = data.endswith(b"\n")

    def lines(self, lines):
        text = "".join(line + "\n" for line in lines)
        if not self.at_line_start:
            text = "\n" + text
        self.write(text.encode("utf-8"))


def copy_output(pipe, output, summary):
    """Copies ``pipe`` to ``output`` until it closes, feeding ``summary``.

    ``os.read`` returns as soon as any bytes arrive, so the log streams; a signal
    runs its handler and the read goes on (PEP 475), so the pipe is drained after a
    forwarded SIGTERM too.
    """
    fd = pipe.fileno()
    while True:
        data = os.read(fd, CHUNK)
        if not data:
            break
        output.write(data)
        summary.feed(data)
    summary.finish()


def run(job, command):
    forwarder = Forwarder()
    forwarder.install()
    document = load_job(job)
    missing = []
    resolve(document, "$", os.environ, missing)
    if missing:
        lines = ["%s %s; %s: %s needs it" % (name, why, job, path) for name, path, why in missing]
        lines.append(
            "hint: set each variable in the Airflow worker's environment, or in the task's env "
            "(for example from a connection: {{ conn.<id>.password }})"
        )
        raise Failure(lines)
    directory, path = write_job(document, job)
    output = Output()
    summary = Summary()
    try:
        if forwarder.received is not None:
            return 128 + forwarder.received
        try:
            forwarder.child = subprocess.Popen(command + [path], stdout=subprocess.PIPE)
        except FileNotFoundError:
            fail_lines(["command not found: %s" % command[0]])
            return 127
        except OSError as error:
            fail_lines(["cannot run %s: %s" % (command[0], error.strerror or error)])
            return 126
        if forwarder.received is not None:
            forwarder.forward(forwarder.received)
        try:
            copy_output(forwarder.child.stdout, output, summary)
        finally:
            forwarder.child.stdout.close()
            code = forwarder.child.wait()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if code < 0:
        return 128 - code
    if forwarder.received is not None:
        return 128 + forwarder.received if code == 0 else code
    if code == 0:
        output.lines(summary.report())
    return code


def main(argv):
    args = argv[1:]
    if args and args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE + "\n")
        return 0
    if len(args) < 3 or args[1] != "--" or args[0] == "":
        fail_lines([USAGE])
        return 2
    try:
        return run(args[0], args[2:])
    except Failure as failure:
        fail_lines(failure.args[0])
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
