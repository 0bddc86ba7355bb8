#!/usr/bin/env python3
"""Run every code block of Markdown files as written, in order, as a new user would.

The blocks run in a copy of the repository (the README's working directory), in a fresh virtual
environment (``--venv``, created here when missing) that is on ``PATH``, with a fresh ``HOME`` and no
``AWS_*`` or ``JOBFORGE_*`` variables, so a block only works if the README itself says what it needs.

- All files share one session (``README.md docs/x.md``: the README's server serves the doc's blocks).
- ``bash`` blocks run in one shell session: variables exported and ``cd`` in one block hold in the next.
- ``python`` blocks of one file run in one interpreter, in order, as pasted into a REPL; each in the
  shell session's current directory and environment.
- ``text`` (and ``json``, ``console``, ...) blocks are not code; a fence without a language is an error.
- An HTML comment on the line before a fence steers a block:
  ``<!-- readme: background -->`` starts it and waits for ``http://127.0.0.1:4580/_jobforge/health``
  (the set-up block that ends in ``jobforge serve``); ``<!-- readme: skip WHY -->`` does not run it (say
  why: e.g. the test suite, which CI runs first in its own environment).
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODE = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python", "py": "python"}
PROSE = {"text", "json", "console", "xml", "yaml", "toml", "ini", "output"}
FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")
STEER = re.compile(r"^<!--\s*readme:\s*(background|skip)\b(.*?)-->\s*$")
DONE = "\x00readme-block-done "
# One interpreter per file: each line on stdin names a block's file, its directory and environment.
INTERPRETER = f"""
import json, os, sys, traceback
namespace = {{"__name__": "__main__"}}
for line in sys.stdin:
    request = json.loads(line)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    try:
        exec(compile(open(request["path"]).read(), request["path"], "exec"), namespace)
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        status = 1
    sys.stderr.flush()
    print({DONE!r} + str(status), flush=True)
"""
HEALTH = "http://127.0.0.1:4580/_jobforge/health"
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".jobforge", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache"
)


@dataclass
class Block:
    line: int
    language: str
    code: str
    steer: str = ""  # "", "background" or "skip"
    why: str = ""


def parse(markdown: str, name: str = "markdown") -> list[Block]:
    """The fenced blocks of ``markdown``, with the steering comment of each."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, language = opening.group(1), opening.group(2).lower()
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].startswith(fence[0] * len(fence)):
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise SystemExit(f"{name}:{start + 1}: the code block never closes")
        index += 1
        if not language:
            raise SystemExit(f"{name}:{start + 1}: a code block without a language (tag prose blocks text)")
        if language not in CODE and language not in PROSE:
            raise SystemExit(f"{name}:{start + 1}: unknown block language {language!r}")
        steer = STEER.match(lines[start - 1].strip()) if start else None
        blocks.append(
            Block(
                line=start + 1,
                language=CODE.get(language, "text"),
                code="\n".join(body) + "\n",
                steer=steer.group(1) if steer else "",
                why=steer.group(2).strip() if steer else "",
            )
        )
    return blocks


def _forward_lines(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    """Hand the interpreter's output lines over one by one; None when it has exited."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put(None)


class Session:
    """A user's terminal: a working directory and an environment that blocks carry forward."""

    def __init__(self, root: Path, venv: Path, home: Path, state: Path) -> None:
        self.cwd = root
        self.state = state
        self.background: list[subprocess.Popen[bytes]] = []
        self.interpreter: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "JOBFORGE_", "PYTHON", "VIRTUAL_ENV", "PIP_REQUIRE"))
        }
        self.env.update(
            HOME=str(home),
            VIRTUAL_ENV=str(venv),
            PATH=f"{venv / 'bin'}{os.pathsep}{self.env.get('PATH', '')}",
        )
        self._save_state()

    def _save_state(self) -> None:
        exports = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in self.env.items())
        self.state.write_text(exports + f"cd {shlex.quote(str(self.cwd))}\n")

    def _load_state(self) -> None:
        """Read back the environment and directory a bash block left (``env -0`` and ``pwd``)."""
        raw = self.state.with_suffix(".env").read_bytes()
        self.env = dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
        self.cwd = Path(self.state.with_suffix(".pwd").read_text().strip())
        self._save_state()

    def bash(self, code: str, timeout: float) -> int:
        script = (
            f"source {shlex.quote(str(self.state))}\nset -euo pipefail\n{code}\n"
            f"env -0 > {shlex.quote(str(self.state.with_suffix('.env')))}\n"
            f"pwd > {shlex.quote(str(self.state.with_suffix('.pwd')))}\n"
        )
        done = subprocess.run(["bash", "-c", script], cwd=self.cwd, env=self.env, timeout=timeout)
        if done.returncode == 0:
            self._load_state()
        return done.returncode

    def python(self, code: str, timeout: float) -> int:
        """Run a block in the file's Python interpreter (started at its first block), like a REPL."""
        if self.interpreter is None or self.interpreter.poll() is not None:
            self.interpreter = subprocess.Popen(
                ["python", "-u", "-c", INTERPRETER],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            self.lines = queue.Queue()
            threading.Thread(target=_forward_lines, args=(self.interpreter, self.lines), daemon=True).start()
        with tempfile.NamedTemporaryFile("w", suffix=".py", dir=self.state.parent, delete=False) as file:
            file.write(code)
        request = {"path": file.name, "cwd": str(self.cwd), "env": self.env}
        assert self.interpreter.stdin is not None
        self.interpreter.stdin.write(json.dumps(request) + "\n")
        self.interpreter.stdin.flush()
        try:
            while (line := self.lines.get(timeout=timeout)) is not None:
                if line.startswith(DONE):
                    return int(line[len(DONE) :])
                sys.stdout.write(line)
                sys.stdout.flush()
        except queue.Empty:
            self.interpreter.kill()
            raise subprocess.TimeoutExpired("python block", timeout) from None
        return 1  # the interpreter exited

    def end_file(self) -> None:
        """A new file starts with a new interpreter, as a reader of that page would."""
        if self.interpreter is not None:
            self.interpreter.kill()
            self.interpreter.wait()
            self.interpreter = None

    def start_background(self, code: str, log: Path) -> None:
        script = f"source {shlex.quote(str(self.state))}\nset -euo pipefail\n{code}"
        with log.open("wb") as out:
            self.background.append(
                subprocess.Popen(
                    ["bash", "-c", script],
                    cwd=self.cwd,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def wait_healthy(self, log: Path, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.background[-1].poll() is not None:
                return False
            try:
                with urllib.request.urlopen(HEALTH, timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.5)
        return False

    def stop(self) -> None:
        self.end_file()
        for process in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)


def port_in_use() -> bool:
    try:
        urllib.request.urlopen(HEALTH, timeout=1)
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", type=Path, nargs="+", help="files whose blocks run, e.g. README.md")
    parser.add_argument("--venv", type=Path, required=True, help="the virtual environment blocks run in")
    parser.add_argument("--work", type=Path, required=True, help="an empty folder: repo copy, HOME, logs")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per block")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("readme_blocks: terminated"))
    blocks = [(path, block) for path in args.markdown for block in parse(path.read_text(), str(path))]
    if port_in_use():
        raise SystemExit("readme_blocks: something already answers on 127.0.0.1:4580; stop it first")
    if not (args.venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(args.venv)], check=True)
    args.work.mkdir(parents=True, exist_ok=True)
    root = args.work / "jobforge"
    shutil.copytree(REPO, root, ignore=COPY_IGNORE)
    (args.work / "home").mkdir(exist_ok=True)
    session = Session(root, args.venv.resolve(), args.work / "home", args.work / "session.sh")
    ran = 0
    try:
        for index, (path, block) in enumerate(blocks):
            if index and blocks[index - 1][0] != path:
                session.end_file()
            where = f"{path}:{block.line} ({block.language})"
            if block.language == "text":
                continue
            if block.steer == "skip":
                print(f"== {where}: skipped: {block.why}", flush=True)
                continue
            print(f"== {where}\n{block.code.rstrip()}", flush=True)
            if block.steer == "background":
                log = args.work / f"background-{block.line}.log"
                session.start_background(block.code, log)
                if not session.wait_healthy(log, timeout=args.timeout):
                    print(log.read_text()[-4000:], file=sys.stderr)
                    raise SystemExit(f"readme_blocks: {where} did not bring up {HEALTH}")
            else:
                run = session.bash if block.language == "bash" else session.python
                if (status := run(block.code, args.timeout)) != 0:
                    raise SystemExit(f"readme_blocks: {where} failed with exit status {status}")
            ran += 1
    finally:
        session.stop()
    print(f"readme_blocks: {ran} blocks of {', '.join(map(str, args.markdown))} ran as written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
