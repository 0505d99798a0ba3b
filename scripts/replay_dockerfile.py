"""Replay deploy/Dockerfile without a container daemon: every RUN step, in a fresh virtual environment.

No container daemon is available where this project is developed, so the image itself is not built
here. This script does the next best thing: it reads the Dockerfile, keeps its ARG and ENV values
(with ``PREFIX`` pointed at a temporary folder), copies what its COPY steps copy from the repository,
runs every RUN step with ``bash -c`` in its WORKDIR, checks that every ``COPY --from`` source exists,
and then starts the image's CMD with the runtime stage's environment, as the image's user (10001),
on a free port, over the sample archive's index, until its HEALTHCHECK passes and a search answers.

    scripts/replay_dockerfile [--keep] [--python python3.11] [--build-arg NAME=VALUE]...

stdlib only; needs root (the Dockerfile's ``chown`` and the switch to user 10001) and ``setpriv``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import free_port, scratch

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
#: On this machine PyTorch's CPU index cannot be reached; torch 2.13.0+cpu comes from pip's configured wheels.
DEFAULT_BUILD_ARGS = {"TORCH_INDEX_URL": "https://pypi.org/simple"}


@dataclass
class Stage:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    workdir: Path = Path("/")
    user: str = "root"
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    result: list[tuple[str, str]] = []
    current = ""
    for line in text.splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1]
            continue
        current += line
        word, _, rest = current.strip().partition(" ")
        result.append((word.upper(), rest.strip()))
        current = ""
    return result


def expand(text: str, values: dict[str, str]) -> str:
    """``${NAME}`` and ``$NAME`` as Docker substitutes them (unknown names become empty)."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), ""), text)


def key_values(text: str) -> dict[str, str]:
    """``A=1 B="two words"`` (ENV and ARG syntax)."""
    pairs = {}
    for item in shlex.split(text):
        name, sep, value = item.partition("=")
        pairs[name] = value if sep else ""
    return pairs


def step(number: int, what: str) -> None:
    print(f"[{number:2d}] {what}", flush=True)


def replay(dockerfile: Path, root: Path, build_args: dict[str, str], python: str) -> dict[str, Stage]:
    """Every instruction of every stage, in order; returns the stages by name."""
    shim = root / "shim"
    shim.mkdir(parents=True)
    (shim / "python").symlink_to(shutil.which(python) or python)  # the image's `python`
    host_path = f"{shim}:/usr/local/bin:/usr/bin:/bin"
    global_args: dict[str, str] = {}
    stages: dict[str, Stage] = {}
    stage: Stage | None = None
    for number, (word, rest) in enumerate(instructions(dockerfile.read_text()), start=1):
        if word == "ARG":
            target = global_args if stage is None else stage.args
            for name, default in key_values(rest).items():
                target[name] = build_args.get(name, default or global_args.get(name, ""))
            continue
        if word == "FROM":
            base, _, name = expand(rest, global_args).partition(" AS ")
            stage = stages[name.strip() or str(len(stages))] = Stage(name.strip(), env={"PATH": host_path})
            step(number, f"FROM {base} (here: this machine with {python})")
            continue
        if stage is None:
            raise SystemExit(f"{dockerfile}: {word} before FROM")
        values = {**global_args, **stage.args, **stage.env}
        if word == "ENV":
            stage.env.update({k: expand(v, values) for k, v in key_values(rest).items()})
        elif word == "WORKDIR":
            stage.workdir = Path(expand(rest, values))
            stage.workdir.mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            parts = shlex.split(expand(rest, values))
            source_stage = next((p.split("=", 1)[1] for p in parts if p.startswith("--from=")), None)
            paths = [p for p in parts if not p.startswith("--")]
            *sources, target = paths
            for source in sources:
                if source_stage is not None:  # same file system here: the earlier stage's files must be there
                    if not Path(source).exists():
                        raise SystemExit(f"COPY --from={source_stage} {source}: no such file in that stage")
                    continue
                copy(ROOT / source, target, stage.workdir)
            step(number, f"COPY {' '.join(parts)}")
        elif word == "RUN":
            command = expand(rest, values) if not rest.startswith("[") else " ".join(json.loads(rest))
            step(number, f"RUN {command[:110]}{'…' if len(command) > 110 else ''}")
            started = time.monotonic()
            # this machine's pip configuration (its package mirror) stands for the build machine's
            pip = {k: v for k, v in os.environ.items() if k.startswith("PIP_")}
            env = {**pip, **values, "PATH": stage.env["PATH"], "HOME": str(root / "home")}
            subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=stage.workdir, env=env, check=True)
            print(f"     done in {time.monotonic() - started:.0f} s", flush=True)
        elif word == "USER":
            stage.user = rest
        elif word == "CMD":
            stage.cmd = json.loads(rest)
        elif word == "HEALTHCHECK":
            stage.healthcheck = json.loads(rest[rest.index("CMD") + 3 :].strip())
        elif word == "VOLUME":
            stage.volumes = [expand(v, values) for v in json.loads(rest)]
        elif word not in ("EXPOSE", "LABEL", "STOPSIGNAL", "SHELL"):
            raise SystemExit(f"{dockerfile}: {word} is not replayed by this script")
    return stages


def copy(source: Path, target: str, workdir: Path) -> None:
    """COPY's rules: a folder's contents go into the target; a file goes into a target ending in / (or ``.``)."""
    dest = Path(target) if target.startswith("/") else workdir / target
    if source.is_dir():
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        return
    if target.endswith("/") or target in (".", "./") or dest.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        dest = dest / source.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, dest)


def run_image(stage: Stage, root: Path) -> None:
    """The runtime stage's CMD as its user, over an index of the sample archive, until HEALTHCHECK passes."""
    uid, _, gid = stage.user.partition(":")
    as_user = ["setpriv", f"--reuid={uid}", f"--regid={gid or uid}", "--clear-groups"]
    env = {**stage.env, "ARCHIVE_SEARCH_TORCH_THREADS": "1"}
    archive = Path(env["ARCHIVE_SEARCH_ARCHIVE"])  # compose mounts the archive here
    copy(ROOT / "indexer" / "sample_archive", str(archive), root)
    print("reindex (the compose file's weekly job) as the image's user ...", flush=True)
    subprocess.run([*as_user, "archive-search", "reindex", "--json"], env=env, cwd=stage.workdir, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    port = free_port()
    cmd = [part if part != "8000" else str(port) for part in stage.cmd]
    cmd = [part if part != "0.0.0.0" else "127.0.0.1" for part in cmd]  # this machine: loopback only
    health = [part.replace(":8000/", f":{port}/") for part in stage.healthcheck]
    print(f"CMD {shlex.join(cmd)} as user {stage.user} ...", flush=True)
    server = subprocess.Popen([*as_user, *cmd], env=env, cwd=stage.workdir)
    try:
        started = time.monotonic()
        while subprocess.run([*as_user, *health], env=env, stderr=subprocess.DEVNULL).returncode != 0:
            if server.poll() is not None or time.monotonic() - started > 300:
                raise SystemExit("the service did not become ready")
            time.sleep(1)
        print(f"HEALTHCHECK passed after {time.monotonic() - started:.0f} s", flush=True)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=Ryanair", timeout=30) as answer:
            total = json.load(answer)["total"]
        assert total > 0, "a search found nothing"
        print(f"GET /api/search?q=Ryanair: {total} results", flush=True)
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dockerfile", type=Path, default=DOCKERFILE)
    parser.add_argument("--python", default="python3.11", help="the interpreter standing for the image's python")
    parser.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    options = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root: the Dockerfile chowns the data folders and the image runs as user 10001")
    with scratch("replay-dockerfile-", options.keep) as root:
        root.chmod(0o755)  # the image's user must reach PREFIX
        build_args = {**DEFAULT_BUILD_ARGS, "PREFIX": str(root / "opt" / "archive-search")}
        build_args.update(dict(arg.split("=", 1) for arg in options.build_arg))
        print(f"Replaying {options.dockerfile.relative_to(ROOT)} in {root}", flush=True)
        started = time.monotonic()
        stages = replay(options.dockerfile, root, build_args, options.python)
        run_image(list(stages.values())[-1], root)
        print(f"Replay passed in {time.monotonic() - started:.0f} s: every RUN step, the COPY sources, CMD and "
              "HEALTHCHECK (the image itself was not built: no container daemon here)")  # fmt: skip


if __name__ == "__main__":
    main()
