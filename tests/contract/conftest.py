"""Contract tests of both providers against their sandboxes, as real processes on loopback.

The helpers both providers use are in `sandbox_processes` (this folder is on sys.path, as every folder
of these tests is); each provider's own helpers and fixtures are in its folder.
"""
