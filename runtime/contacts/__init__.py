"""Contacts: one record per customer across channels, with identities, attributes and a timeline.

`ContactStore` keeps them in the records database; `ContactBook` is the engine's hook that links
sessions to them and gives flows `contact.history`; `erase_contact` forgets a customer.
"""

from .book import HISTORY, ContactBook
from .erasure import Erased, erase_contact
from .identities import KINDS, IdentityError, identity, parse_identity, sender_identity
from .store import ContactStore

__all__ = ["HISTORY", "KINDS", "ContactBook", "ContactStore", "Erased", "IdentityError",
           "erase_contact", "identity", "parse_identity", "sender_identity"]
