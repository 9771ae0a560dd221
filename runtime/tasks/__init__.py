"""Background work on Huey: message delivery and periodic jobs (`huey_consumer runtime.tasks.huey`)."""

from .alerts import check_alerts, findings
from .callbacks import callback_task, post_callback
from .calls import place_call
from .campaign_runs import advance_campaign, close_runtimes
from .delivery import deliver, send_message
from .ledger import DeliveryLedger, close_ledgers, ledger_for
from .periodic import expire_sessions, requeue_stuck, roll_up_steps, rollup_rows
from .queue import (QueueUnavailable, TaskConfig, build_huey, configure, current, enqueue, huey,
                    task_config)
from .senders import SIGNATURE_HEADER, signature

__all__ = ["check_alerts", "findings", "DeliveryLedger", "QueueUnavailable", "SIGNATURE_HEADER", "TaskConfig",
           "advance_campaign", "build_huey", "callback_task", "close_ledgers", "close_runtimes",
           "configure", "current", "deliver", "enqueue",
           "expire_sessions", "huey", "ledger_for", "place_call", "post_callback", "requeue_stuck",
           "roll_up_steps", "rollup_rows", "send_message", "signature", "task_config"]
