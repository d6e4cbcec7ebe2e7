"""A minimal third domain, defined in the tests: one asset, one model, one endpoint, one command.

It is registered without editing a shared file (``test_third_domain.py`` writes a ``dist-info``
declaring it under the ``shot_platform.domains`` entry points), which is how a domain package
installed beside the platform registers.
"""
