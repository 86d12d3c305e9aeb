"""What every provider sandbox shares; each provider's endpoints, rules and CLI options stay in its own package.

- `serve`: bind, run the aiohttp app until SIGINT/SIGTERM, print where it listens;
- `Background`: the work a sandbox does after answering (issuing, callbacks) and its outgoing HTTP session;
- `post_until_acknowledged`: one callback delivery with bounded, doubling retries;
- `issuance_stats`: the `/_sandbox/stats` counts that prove a serial was never issued twice;
- `client_default`: a setting's default, so that an unconfigured client talks to the sandbox.

Deliberately no `sandbox` submodule: `fapiao sandbox` probes `fapiao.connectors.<package>.sandbox`.
"""

from fapiao.connectors.sandboxkit.delivery import ATTEMPTS, post_until_acknowledged
from fapiao.connectors.sandboxkit.server import Background, client_default, issuance_stats, serve

__all__ = ["ATTEMPTS", "Background", "client_default", "issuance_stats", "post_until_acknowledged", "serve"]
