"""Stage ``lower``: operator choices made explicit, once, for every backend."""

from udbudsregler.lower.lower import lower_graph

__all__ = ["lower_graph"]
