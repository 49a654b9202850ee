"""The HTTP service (``udbudsregler serve``): decide, settle and explain over HTTP.

Needs the ``serve`` extra: ``pip install 'udbudsregler[serve]'`` (FastAPI and uvicorn).
:mod:`udbudsregler.service.registry` (the served policies and their hot reload) and
:mod:`udbudsregler.service.problems` (errors as RFC 9457 problem details) need neither.
"""
