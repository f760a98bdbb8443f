#!/usr/bin/python3
"""genman.py - section 8 man pages from the built binaries' --help.

    genman.py --version V --include DIR --out DIR BINARY...

For each BINARY (build/cbcc, build/cbcc-core) it writes BINARY.8 from
`BINARY --help` (the command table) and BINARY-CMD.8 from
`BINARY CMD --help` for every command that table lists.  The options,
synopsis, summary and the tools' own blocks (examples, patterns, ...)
come from --help, so a page cannot drift from its binary; what --help
does not say (a longer description, more examples, files, see also) is
hand-written in DIR: NAME.man for one page (cbcc-core-run.man), else
CMD.man for a command in every binary (xdpcount.man), in help2man's
include format:

    [DESCRIPTION]
    roff text, appended to that section; @BIN@ is the binary's name
    [EXAMPLES]
    ...

Dates come from SOURCE_DATE_EPOCH when set (reproducible builds).
"""
import argparse
import datetime
import os
import re
import subprocess
import sys

# Sections in the order man-pages(7) gives; others go after OPTIONS.
ORDER = ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "OPTIONS",
         "EXAMPLES", "EXIT STATUS", "ENVIRONMENT", "FILES", "NOTES",
         "BUGS", "SEE ALSO"]

# main.c handles these before its command table; its usage lists none.
TOP_OPTIONS = [(["-h", "--help"], None, "show the commands and exit"),
               (["-V", "--version"], None, "print the version and exit")]


def esc(text):
    """Plain text to roff: backslashes, hyphens, leading control chars."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text[:1] in (".", "'"):
        text = "\\&" + text
    return text


def help_text(argv):
    r = subprocess.run(argv + ["--help"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"genman: {' '.join(argv)} --help exited {r.returncode}: "
                 f"{r.stderr.strip()}")
    return r.stdout


def blocks(lines):
    """Split lines into blank-line separated blocks."""
    out, cur = [], []
    for line in lines:
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


OPT = re.compile(r"^(--?[A-Za-z0-9][-_A-Za-z0-9]*)(\[=[^\]]+\])?(,?)$")
META = re.compile(r"^[A-Z][A-Z0-9_]*(\[=[A-Z_]+\])?$")


def parse_option(line):
    """'  -k, --key KEY   help' -> (['-k', '--key'], 'KEY', 'help') or None.

    The option column ends at two spaces; in it, tokens are taken while
    they are options ("-k," says another follows), each maybe with one
    metavar, and what is left (an overflowed column, where the help
    follows a single space) is the start of the help.  An optional value
    keeps its brackets: '[=DIR]'.
    """
    m = re.match(r"^ {1,8}(-\S.*?)(?:\s{2,}(.*))?$", line)
    if not m:
        return None
    toks, help_ = m.group(1).split(), m.group(2) or ""
    names, meta, i = [], None, 0
    while i < len(toks):
        m = OPT.match(toks[i])
        if not m:
            break
        names.append(m.group(1))
        i += 1
        if m.group(2):
            meta = m.group(2)
        if m.group(3):
            continue
        if not m.group(2) and i < len(toks) and \
                META.match(toks[i].rstrip(",")):
            meta = toks[i].rstrip(",")
            i += 1
            if toks[i - 1].endswith(","):
                continue
        break
    if not names:
        return None
    return names, meta, " ".join(toks[i:] + [help_]).strip()


def parse_help(text):
    """--help of a command -> dict(synopsis, summary, options, extra)."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Usage: "):
        sys.exit(f"genman: --help does not start with 'Usage: ': {text!r}")
    usage = [lines[0][len("Usage: "):]]
    i = 1
    while i < len(lines) and lines[i].startswith(" ") and lines[i].strip():
        usage.append(lines[i].strip())
        i += 1
    summary = []
    while i < len(lines) and lines[i].strip():
        summary.append(lines[i].strip())
        i += 1
    options, extra, exit_status = [], [], None
    for blk in blocks(lines[i:]):
        if parse_option(blk[0]):
            for line in blk:
                opt = parse_option(line)
                if opt:
                    options.append(opt)
                elif options:
                    n, m, h = options[-1]
                    options[-1] = (n, m, (h + " " + line.strip()).strip())
            continue
        m = re.match(r"^([A-Z][A-Za-z ]*):\s*(.*)$", blk[0])
        if m and m.group(1).lower() == "exit status":
            exit_status = " ".join([m.group(2)] + [l.strip() for l in blk[1:]])
            continue
        if m and m.group(1).lower() == "examples":
            extra.append(("EXAMPLES", blk[1:] if not m.group(2) else blk))
            continue
        if re.match(r"^examples:$", blk[0]):
            extra.append(("EXAMPLES", blk[1:]))
            continue
        if m:
            name = m.group(1).upper()
            extra.append((name, blk[1:] if not m.group(2) else blk))
            continue
        extra.append(("DESCRIPTION", blk))
    return {"usage": " ".join(usage), "summary": summary,
            "options": options, "extra": extra, "exit": exit_status}


def parse_commands(text):
    """Top-level --help -> [(command, one-line help)]."""
    cmds, on = [], False
    for line in text.splitlines():
        if line.strip() == "Commands:":
            on = True
            continue
        if on:
            m = re.match(r"^  (\S+)\s+(.*)$", line)
            if not m:
                break
            cmds.append((m.group(1), m.group(2)))
    return cmds


def read_include(path, binary):
    """help2man-style include file -> {SECTION: roff text}."""
    out, sec = {}, None
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.replace("@BIN@", binary)
            m = re.match(r"^\[([A-Z][A-Z ]*)\]\s*$", line)
            if m:
                sec = m.group(1)
                out.setdefault(sec, "")
            elif sec:
                out[sec] += line
    return {k: v.strip("\n") + "\n" for k, v in out.items() if v.strip()}


def verbatim(lines):
    body = "\n".join(esc(l) if l.strip() else "" for l in dedent(lines))
    return ".PP\n.RS 4\n.nf\n" + body + "\n.fi\n.RE\n"


def dedent(lines):
    ind = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return [l[ind:] for l in lines]


def option_roff(names, meta, help_):
    head = []
    for n in names:
        head.append("\\fB" + esc(n) + "\\fR")
    s = ", ".join(head)
    if meta:
        if meta.startswith("[="):
            s += "[=\\fI" + esc(meta[2:-1]) + "\\fR]"
        else:
            s += " \\fI" + esc(meta) + "\\fR"
    return ".TP\n" + s + "\n" + esc(help_) + "\n"


def page(name, version, date, sections):
    out = [f'.TH {esc(name.upper())} 8 "{date}" "cbcc {version}" '
           f'"System Manager\'s Manual"\n']
    # A tool's own blocks (PATTERNS, PROBE) right after its options.
    cut = ORDER.index("OPTIONS") + 1
    keys = ORDER[:cut] + [k for k in sections if k not in ORDER] + \
        ORDER[cut:]
    for k in keys:
        if k in sections:
            out.append(f".SH {k}\n" + sections[k])
    return "".join(out)


def add(sections, key, text):
    sections[key] = sections.get(key, "") + text


def merge_include(sections, inc):
    for k, v in inc.items():
        if k in sections and not sections[k].endswith("\n.PP\n"):
            v = ".PP\n" + v
        add(sections, k, v)


def see_also(binary, cmds, self_cmd=None):
    other = "cbcc-core" if binary == "cbcc" else "cbcc"
    refs = [binary] if self_cmd else [other]
    refs += [f"{binary}-{c}" for c, _ in cmds if c != self_cmd]
    refs = [f".BR {esc(r)} (8)" for r in refs]
    refs += [".BR bpftool (8)"]
    # Page names are not hyphenated across lines.
    return ".ad l\n.nh\n" + ",\n".join(refs) + "\n"


def command_page(binary, path, cmd, oneline, cmds, inc_dir, version, date):
    name = f"{binary}-{cmd}"
    h = parse_help(help_text([path, cmd]))
    s = {}
    s["NAME"] = f"{esc(name)} \\- {esc(oneline)}\n"
    # The usage names the binary it came from: the page says which.
    usage = re.sub(r"^\S+\s+\S+", "", h["usage"]).strip()
    s["SYNOPSIS"] = f".B {binary} {cmd}\n" + (esc(usage) + "\n" if usage else "")
    s["DESCRIPTION"] = esc(" ".join(h["summary"])) + "\n"
    for sec, lines in h["extra"]:
        add(s, sec, verbatim(lines))
    if h["options"]:
        s["OPTIONS"] = "".join(option_roff(*o) for o in h["options"])
    if h["exit"]:
        s["EXIT STATUS"] = esc(h["exit"]) + "\n"
    inc = read_include(os.path.join(inc_dir, name + ".man"), binary)
    if not inc:
        inc = read_include(os.path.join(inc_dir, cmd + ".man"), binary)
    merge_include(s, inc)
    add(s, "SEE ALSO", see_also(binary, cmds, cmd))
    return name, page(name, version, date, s)


def top_page(binary, path, cmds, inc_dir, version, date):
    text = help_text([path])
    usage = text.splitlines()[0][len("Usage: "):]
    s = {}
    what = ("BCC-compatible eBPF tracer (libbcc, compiles BPF C at run time)"
            if binary == "cbcc" else
            "BCC-compatible eBPF tracer (libbpf CO-RE, precompiled)")
    s["NAME"] = f"{esc(binary)} \\- {esc(what)}\n"
    s["SYNOPSIS"] = (f".B {binary}\n" +
                     esc(re.sub(r"^\S+\s*", "", usage)) + "\n" +
                     f".br\n.B {binary}\n\\-\\-help | \\-\\-version\n")
    # After the command list: how to get help, which binary does what;
    # said after the hand-written description.
    rest = text.split("\n\n", 2)[2] if text.count("\n\n") >= 2 else ""
    note = "".join(esc(l.strip()) + "\n" for l in rest.splitlines()
                   if l.strip())
    s["COMMANDS"] = "".join(
        f".TP\n.BR {binary}\\-{esc(c)} (8)\n{esc(h)}\n" for c, h in cmds)
    s["OPTIONS"] = "".join(option_roff(n, m, h) for n, m, h in TOP_OPTIONS)
    merge_include(s, read_include(os.path.join(inc_dir, binary + ".man"),
                                  binary))
    if note:
        add(s, "DESCRIPTION", ".PP\n" + note)
    add(s, "SEE ALSO", see_also(binary, cmds))
    return binary, page(binary, version, date, s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("--include", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("binaries", nargs="+")
    a = ap.parse_args()
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or None
    when = (datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
            if epoch else datetime.datetime.now(datetime.timezone.utc))
    date = when.strftime("%Y-%m-%d")
    for path in a.binaries:
        binary = os.path.basename(path)
        cmds = parse_commands(help_text([path]))
        if not cmds:
            sys.exit(f"genman: {path} --help lists no commands")
        pages = [top_page(binary, path, cmds, a.include, a.version, date)]
        for cmd, oneline in cmds:
            pages.append(command_page(binary, path, cmd, oneline, cmds,
                                      a.include, a.version, date))
        for name, text in pages:
            with open(os.path.join(a.out, name + ".8"), "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
