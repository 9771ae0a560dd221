"""The OpenAPI document of the REST API, one JSON part per resource beside `document.py`."""

from .document import document, document_text

__all__ = ["document", "document_text"]
