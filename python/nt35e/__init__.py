"""nt35e: drive the nt35e-sim virtual NT35E modem from Python tests.

- nt35e.control: the control-channel client (JSON Lines over TCP; tools/nt35e-ctl).
- nt35e.simulator: Simulator, nt35e-sim as a subprocess with its line, transcript and trace.
- nt35e.broker: Broker, a real mosquitto on a free loopback port with a capture.
- nt35e.pytest_plugin: the nt35e_modem and nt35e_broker fixtures (loaded by pytest
  automatically when the package is installed; from the tree: -p nt35e.pytest_plugin).

Standard library only (pytest for the plugin).
"""

__version__ = "0.1.0"  # the project's version (CMakeLists.txt); a test keeps them equal

from nt35e.control import ControlClient, ControlRefused, UsageError  # noqa: E402
from nt35e.simulator import Simulator, SimulatorDied, SimulatorError, StartError, ExpectTimeout  # noqa: E402
from nt35e.broker import Broker, BrokerError  # noqa: E402

__all__ = ["ControlClient", "ControlRefused", "UsageError", "Simulator", "SimulatorError", "StartError",
           "SimulatorDied", "ExpectTimeout", "Broker", "BrokerError", "__version__"]
