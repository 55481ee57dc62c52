"""Start an RQ worker (with scheduler) for the same configuration as the web app."""

from tipro import create_app
from tipro.jobs import run_worker

if __name__ == "__main__":
    run_worker(create_app())
