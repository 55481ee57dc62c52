"""Start an RQ worker (with scheduler) for the same configuration as the web app.

Same as `tipro worker`: it also makes sure the periodic sync tick is running.
"""

from tipro import create_app
from tipro.approvals.reminder_jobs import ensure_schedule as ensure_reminders
from tipro.jobs import run_worker
from tipro.sync.jobs import ensure_schedule

if __name__ == "__main__":
    app = create_app()
    with app.app_context():
        ensure_schedule()
        ensure_reminders()
    run_worker(app)
