#!/usr/bin/python3
"""The Dockerfile's runtime stage is complete, proven without building it
(no container runtime can pull a base image here):

- RUNTIME_LIBRARIES, the ARG of the stage `FROM ... AS runtime`, names the
  Debian packages the stage installs for the binaries' libraries;
- every shared library `ldd` lists for cable-server, cable-gateway and
  cable-service belongs (dpkg -S) to one of those packages or to a package
  they depend on (Depends and Pre-Depends, recursively, as apt installs them
  with --no-install-recommends; read from this machine's dpkg database,
  where the build put them);
- every package in RUNTIME_LIBRARIES holds at least one of those libraries
  itself (nothing installed for nothing).

Usage: image_libs_test.py <Dockerfile> <binary>...
"""

import os
import re
import shlex
import subprocess
import sys


def logical_lines(text):
    """Dockerfile instructions with continuations joined, comments dropped."""
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") and not current:
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continuation
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    if current:
        lines.append(current)
    return [line for line in lines if line]


def runtime_packages(dockerfile):
    """The package names of ARG RUNTIME_LIBRARIES in the runtime stage."""
    stage = None
    for line in logical_lines(open(dockerfile).read()):
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line, re.I)
        if m:
            stage = (m.group(1) or "").lower()
            continue
        m = re.match(r"ARG\s+RUNTIME_LIBRARIES=(.*)$", line)
        if stage == "runtime" and m:
            names = shlex.split(m.group(1))
            names = [n for value in names for n in value.split()]
            bad = [n for n in names if not re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", n)]
            if bad:
                sys.exit(f"RUNTIME_LIBRARIES: not package names: {bad}")
            return names
    sys.exit(f"{dockerfile}: no ARG RUNTIME_LIBRARIES in a stage named runtime")


def ldd_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        if "not found" in line:
            sys.exit(f"{binary}: {line.strip()}")
        m = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if m:
            libs.append(m.group(1))
    return libs


def owners_of(paths):
    """{path: package} for the paths dpkg knows (usrmerge: a library ldd
    finds under /lib may be registered under /usr/lib, or the reverse)."""
    variants = {}
    for path in paths:
        for p in {path, os.path.realpath(path)}:
            for v in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
                variants.setdefault(v, path)
    out = subprocess.run(["dpkg", "-S", *sorted(variants)], capture_output=True, text=True)
    found = {}
    for line in out.stdout.splitlines():
        pkgs, _, file = line.partition(": ")
        if file in variants:
            found.setdefault(variants[file], pkgs.split(",")[0].split(":")[0].strip())
    return found


def dpkg_table():
    """Installed packages: {name: dependency clauses}, and {virtual: providers}."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Status}\t${Depends}, ${Pre-Depends}\t${Provides}\n"],
        capture_output=True, text=True, check=True).stdout
    depends, virtual = {}, {}
    for line in out.splitlines():
        pkg, status, deps, provides = line.split("\t")
        if "install ok installed" not in status:
            continue
        depends[pkg] = deps
        for p in provides.split(","):
            name = p.strip().split(" ")[0]
            if name:
                virtual.setdefault(name, []).append(pkg)
    return depends, virtual


def closure(packages):
    """The packages apt installs for `packages`, from the dpkg database:
    Depends and Pre-Depends, recursively; of alternatives, the installed one."""
    depends, virtual = dpkg_table()
    seen, todo, missing = set(), list(packages), []
    while todo:
        pkg = todo.pop()
        if pkg in seen:
            continue
        seen.add(pkg)
        if pkg not in depends:
            if pkg in virtual:
                todo += virtual[pkg]
            else:
                missing.append(pkg)
            continue
        for clause in depends[pkg].split(","):
            options = [o.strip().split(" ")[0].split(":")[0] for o in clause.split("|") if o.strip()]
            if options:
                todo.append(next((o for o in options if o in depends or o in virtual), options[0]))
    return seen, missing


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: image_libs_test.py <Dockerfile> <binary>...")
    dockerfile, binaries = sys.argv[1], sys.argv[2:]
    declared = runtime_packages(dockerfile)
    problems = []
    owners = {}
    linked = {lib: binary for binary in binaries for lib in ldd_libraries(binary)}
    found = owners_of(linked)
    for lib, binary in sorted(linked.items()):
        if lib not in found:
            problems.append(f"{os.path.basename(binary)} links {lib}, which no Debian package installed")
        else:
            owners.setdefault(found[lib], set()).add(os.path.basename(lib))
    present, missing = closure(declared)
    for pkg in missing:
        problems.append(f"RUNTIME_LIBRARIES names {pkg}, which is not installed here: cannot follow "
                        "its dependencies (install it, or fix the name)")
    for pkg, libs in sorted(owners.items()):
        if pkg not in present:
            problems.append(f"{', '.join(sorted(libs))} come from {pkg}, which the runtime stage "
                            "does not install (add it to RUNTIME_LIBRARIES)")
    for pkg in declared:
        if pkg not in owners:
            problems.append(f"RUNTIME_LIBRARIES names {pkg}, which holds none of the linked libraries")
    for p in problems:
        print(f"FAIL {p}", file=sys.stderr)
    nlibs = sum(len(v) for v in owners.values())
    if not problems:
        print(f"{nlibs} shared libraries of {len(binaries)} binaries come from {len(owners)} packages, "
              f"all installed by RUNTIME_LIBRARIES ({' '.join(declared)}) or their "
              f"{len(present) - len(declared)} dependencies")
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
