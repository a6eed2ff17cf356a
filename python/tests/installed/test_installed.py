"""Run by python_installed_plugin with only the installed dist-packages on the path and no
-p option: the fixtures exist only if pytest loaded the plugin from its entry point."""

import os

import nt35e
import nt35e.pytest_plugin


def test_the_package_comes_from_the_install():
    assert os.path.realpath(nt35e.__file__).startswith(os.path.realpath(os.environ["PYTHONPATH"]))


def test_pytest_loaded_the_plugin_by_itself(request):
    assert request.config.pluginmanager.get_plugin("nt35e.pytest_plugin") is nt35e.pytest_plugin


def test_the_fixture_starts_a_modem(nt35e_modem):
    nt35e_modem.send("AT+CGMM")
    nt35e_modem.expect(r"NT35E")
