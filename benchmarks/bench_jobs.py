"""Dataset-job benchmarks (maskcore.jobs validate / convert with 1 and 2 workers, a plain loop, the
PNG-decode floor); cases in cases.jobs. The 100,000-image runs: benchmarks/jobs_100k.py."""

FAMILY = "jobs"


def test_jobs(run_case, case):
    run_case(case)
