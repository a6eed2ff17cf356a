"""nt35e: drive the nt35e-sim virtual NT35E modem from Python tests.

- nt35e.control: the control-channel client (JSON Lines over TCP; tools/nt35e-ctl).
- nt35e.simulator: Simulator, nt35e-sim as a subprocess with its line, transcript and trace.
- nt35e.broker: Broker, a real mosquitto on a free loopback port with a capture.
- nt35e.pytest_plugin: the nt35e_modem and nt35e_broker fixtures (loaded by pytest
  automatically when the package is installed; from the tree: -p nt35e.pytest_plugin).

Standard library only (pytest for the plugin).
"""

__version__ = "0.1.0"  # the project's version (CMakeLists.txt); a test keeps them equal

# The names below are imported when first used (PEP 562), so that nt35e-ctl, which needs
# only nt35e.control, starts fast: it runs as the pods' probe (docs/kubernetes.md).
_WHERE = {"ControlClient": "control", "ControlRefused": "control", "UsageError": "control",
          "Simulator": "simulator", "SimulatorDied": "simulator", "SimulatorError": "simulator",
          "StartError": "simulator", "ExpectTimeout": "simulator", "Broker": "broker", "BrokerError": "broker"}

__all__ = ["ControlClient", "ControlRefused", "UsageError", "Simulator", "SimulatorError", "StartError",
           "SimulatorDied", "ExpectTimeout", "Broker", "BrokerError", "__version__"]


def __getattr__(name):
    if name not in _WHERE:
        raise AttributeError(f"module 'nt35e' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"nt35e.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
