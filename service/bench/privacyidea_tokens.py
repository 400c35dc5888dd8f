"""Creates N TOTP tokens BENCH-0 … BENCH-(N-1) in privacyIDEA (its SQLite backend), all
with RFC 4226's secret, for bench/run.sh. Needs PRIVACYIDEA_CONFIGFILE to point at pi.cfg."""
import sys
import time

from privacyidea.app import create_app
from privacyidea.lib.token import init_token

count = int(sys.argv[1])
app = create_app(config_name="production", silent=True)
with app.app_context():
    started = time.time()
    secret_hex = b"12345678901234567890".hex()
    for i in range(count):
        init_token({"serial": f"BENCH-{i}", "type": "totp", "otpkey": secret_hex,
                    "otplen": 6, "timeStep": 30, "hashlib": "sha1", "genkey": 0})
    print(f"{count} privacyIDEA tokens created in {time.time() - started:.1f} s", file=sys.stderr)
