"""The e-mail channel: mail read and screened, routed to flows, answered in one threaded mail."""

from .inbound import MailInbound  # registers the channel's inbound handling
from .limits import DEFAULT_LISTEN, MailLimits, our_addresses
from .loops import loop_reason
from .markup import clean_html, html_to_text, text_to_html
from .parsing import ReceivedMail, read_mail
from .quoting import new_text
from .receiver import MailReceiver, Outcome
from .reply import reply_payload
from .threads import mail_message_id, remember_thread, thread_of

__all__ = ["DEFAULT_LISTEN", "MailInbound", "MailLimits", "MailReceiver", "Outcome", "ReceivedMail",
           "clean_html", "html_to_text", "loop_reason", "mail_message_id", "new_text",
           "our_addresses", "read_mail", "remember_thread", "reply_payload", "text_to_html",
           "thread_of"]
