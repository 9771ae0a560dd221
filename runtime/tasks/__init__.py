"""Background work on Huey: message delivery, callbacks, calls, campaigns and periodic jobs."""

from .alerts import check_alerts, findings
from .catalogue import open_queue
from .config import QueueUnavailable, TaskConfig, build_huey, task_config
from .ledger import DeliveryLedger
from .periodic import (expire_sessions, requeue_stuck, roll_up_steps, rollup_rows,
                       watch_deliveries)
from .queue import TaskQueue
from .senders import SIGNATURE_HEADER, signature

__all__ = ["DeliveryLedger", "QueueUnavailable", "SIGNATURE_HEADER", "TaskConfig", "TaskQueue",
           "build_huey", "check_alerts", "expire_sessions", "findings", "open_queue",
           "requeue_stuck", "roll_up_steps", "rollup_rows", "signature", "task_config",
           "watch_deliveries"]
