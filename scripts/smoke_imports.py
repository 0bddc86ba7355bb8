"""Import every module of the installed jobforge package; fail on the first that cannot be imported.

Run in a virtual environment that has only ``pip install .``: a module importing a package that is
not a declared runtime dependency fails here, as it would for a user. Modules of an optional extra
(``EXTRAS``) are left out: they need what that extra installs.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback

import jobforge

EXTRAS = {"jobforge.pytest_plugin": "pytest"}  # module -> the extra (pip install jobforge[pytest])


def main() -> int:
    where = jobforge.__path__[0]
    if "site-packages" not in where:
        print(f"smoke_imports: jobforge comes from {where}, not from an installed package", file=sys.stderr)
        return 1
    found = [info.name for info in pkgutil.walk_packages(jobforge.__path__, "jobforge.")]
    names = [name for name in found if name not in EXTRAS]
    failed = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            failed.append(name)
            traceback.print_exc()
    print(f"imported {len(names) - len(failed)} of {len(names)} jobforge modules from {where}", end="")
    print(f" (left out, needing an extra: {', '.join(sorted(set(found) & set(EXTRAS)))})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
