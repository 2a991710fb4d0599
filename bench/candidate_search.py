"""The store's candidate search alone (key ranges in SQL, read transaction), per check, on
stored volumes loaded in bulk: the service's own path, SQLite or PostgreSQL.

    .venv/bin/python bench/candidate_search.py URL N_STORED

Prints the mean time per check over 200 of the bench's clustered operations, the candidates
found, and the plan of the first check's statement.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data
import _store_load

from deconflict.config import Config
from deconflict.engine.ranges import query_ranges
from deconflict.service import Service
from deconflict.store import Database, migrate
from deconflict.store import operations as so


def main() -> int:
    url, n = sys.argv[1], int(sys.argv[2])
    svc = Service(Config(db_url=url, admin_key="x", background=False), Database(url))
    migrate(svc.db)
    if n:
        _store_load.load(svc, list(_data.operations(n, 1, "s")))
    qs = list(_data.operations(200, 2, "q"))
    lv = svc.db.read(so.levels)
    t, found = time.perf_counter(), 0
    for q in qs:
        found += len(svc.db.read(lambda tx, q=q: so.candidate_ids(tx, q.volumes, 0.0)))
    print(f"per check {(time.perf_counter() - t) / len(qs) * 1e3:.2f} ms, {found} candidates")
    q = qs[0]
    los, his = query_ranges(q.volumes, 0.0, lv)
    span = {"t0": min(v.t0 for v in q.volumes), "t1": max(v.t1 for v in q.volumes)}
    with svc.db.connect() as conn:
        if svc.db.postgres:
            p = {"los": so._pg_array(los), "his": so._pg_array(his), **span}
            sql = "EXPLAIN " + str(so._HITS_PG)
        else:
            p = {"ranges": json.dumps(np.column_stack([los, his]).tolist()), **span}
            sql = "EXPLAIN QUERY PLAN " + str(so._HITS_SQLITE)
        for r in conn.execute(sa.text(sql), p):
            print(*r)
    svc.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
