"""python -m simulators.openstack --inventory FILE --port 9800 [...]"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from simulators.openstack.config import Delay, SimConfig
from simulators.openstack.inventory import INVENTORY_DIR
from simulators.openstack.simulator import Simulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m simulators.openstack", description="A simulated OpenStack cloud."
    )
    parser.add_argument("--inventory", type=Path, default=INVENTORY_DIR / "lab.yaml")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9800)
    parser.add_argument("--clouds-yaml", type=Path, default=Path("clouds.yaml"))
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiplies every delay; 0 makes everything instant",
    )
    parser.add_argument(
        "--boot-time",
        type=Delay.parse,
        default=Delay("uniform", 2.0, 4.0),
        help="seconds: 3, 2:5 (uniform) or normal:3:0.5",
    )
    parser.add_argument("--delete-time", type=Delay.parse, default=Delay("fixed", 1.0))
    parser.add_argument("--action-time", type=Delay.parse, default=Delay("fixed", 1.0))
    parser.add_argument("--service-down-time", type=float, default=60.0)
    parser.add_argument("--host-monitor-delay", type=float, default=30.0)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--stream-prefix", default="openstack")
    parser.add_argument("--generate-hosts", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--log-level", default="INFO")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    config = SimConfig(
        time_scale=args.time_scale,
        boot_time=args.boot_time,
        delete_time=args.delete_time,
        action_time=args.action_time,
        service_down_time=args.service_down_time,
        host_monitor_delay=args.host_monitor_delay,
        redis_url=args.redis_url,
        stream_prefix=args.stream_prefix,
        seed=args.seed,
    )
    simulator = Simulator(
        args.inventory,
        host=args.host,
        port=args.port,
        clouds_yaml=args.clouds_yaml.resolve(),
        config=config,
        generate_hosts=args.generate_hosts,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with simulator:
        logging.getLogger("simulators.openstack").info(
            "serving %d hosts at %s; clouds.yaml %s",
            len(simulator.cloud.hosts),
            simulator.url,
            simulator.clouds_yaml_path,
        )
        print(f"READY {simulator.url}", flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
