"""`python -m parvis.networks.sandbox --port 8765 --state-file sandbox.sqlite3`"""

import argparse
import signal
import sys

from .server import SandboxConfig, run_server


def _stop(signum, frame):
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m parvis.networks.sandbox",
        description="Réseau simulé de Parvis : API de publication des dix réseaux, sur 127.0.0.1.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 : un port libre)")
    parser.add_argument("--state-file", default=None, help="fichier SQLite des publications (défaut : en mémoire)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latence simulée par requête")
    parser.add_argument("--latency-jitter-ms", type=float, default=0.0, help="latence aléatoire ajoutée (0 à N ms)")
    parser.add_argument("--fault-timeout", type=float, default=0.0,
                        help="probabilité de « délai dépassé après acceptation » (publication enregistrée)")
    parser.add_argument("--fault-rate-limit", type=float, default=0.0, help="probabilité d'un 429")
    parser.add_argument("--fault-5xx", type=float, default=0.0, help="probabilité d'un 503")
    parser.add_argument("--seed", type=int, default=None, help="graine du tirage des fautes")
    parser.add_argument("--timeout-hold-s", type=float, default=30.0,
                        help="durée de retenue de la réponse pour la faute « délai dépassé »")
    parser.add_argument("--rate-limit-retry-after-s", type=float, default=60.0, help="Retry-After des 429 simulés")
    parser.add_argument("--no-daily-limits", action="store_true",
                        help="désactive les quotas quotidiens réels (Instagram 50, Threads 250 par compte)")
    parser.add_argument("--verbose", action="store_true", help="journalise chaque requête")
    args = parser.parse_args(argv)
    try:
        config = SandboxConfig().merged({
            "latency_ms": args.latency_ms,
            "latency_jitter_ms": args.latency_jitter_ms,
            "fault_rates": {"timeout_after_accept": args.fault_timeout, "rate_limit": args.fault_rate_limit,
                            "server_error": args.fault_5xx},
            "seed": args.seed,
            "timeout_hold_s": args.timeout_hold_s,
            "rate_limit_retry_after_s": args.rate_limit_retry_after_s,
        })
    except ValueError as exc:
        parser.error(str(exc))
    if args.no_daily_limits:
        config = SandboxConfig(**{**config.__dict__, "daily_limits": {}})
    signal.signal(signal.SIGTERM, _stop)
    try:
        run_server(args.port, args.state_file, host=args.host, config=config, verbose=args.verbose)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        sys.stderr.write(f"Impossible de démarrer la sandbox sur {args.host}:{args.port} : {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
