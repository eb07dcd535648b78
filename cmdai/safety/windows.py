"""Rules for Windows administration from PowerShell: services, network adapters and the
firewall, local accounts, the registry, shadow copies, the boot configuration and the recycle
bin. programs.POWERSHELL_RULES merges WINDOWS_RULES in; names are matched lower-cased, and
parameters may be abbreviated as PowerShell allows (`-Enabled`, `-En`)."""

from __future__ import annotations

import re

from cmdai.commandline import Simple
from cmdai.safety.levels import Risk, Verdict
from cmdai.safety.rules import ACCESS_OFF, FIREWALL_OFF, INTERFACE_DOWN, Rule, always

# Services that keep the machine reachable or guarded: WinRM and sshd (remote shells),
# TermService (remote desktop), MpsSvc (the firewall), WinDefend (the antivirus).
_ACCESS_SERVICES = re.compile(r"^['\"]?(?:winrm|sshd|termservice|mpssvc|windefend)['\"]?$", re.I)


def _parameter(cmd: Simple, name: str) -> str | None:
    """The value of `-Name value` or `-Name:value` (any case, abbreviated to 2 letters or more),
    or None when the parameter is not given."""
    for index, arg in enumerate(cmd.args):
        key, _, inline = arg[1:].partition(":")
        if arg.startswith("-") and len(key) >= 2 and name.lower().startswith(key.lower()):
            if inline:
                return inline
            following = cmd.args[index + 1 : index + 2]
            return following[0] if following and not following[0].startswith("-") else ""
    return None


def _words(cmd: Simple) -> list[str]:
    return [arg.lower() for arg in cmd.args]


def _service(cmd: Simple) -> Verdict:
    """Stop-Service, Set-Service: high for the services that keep the machine reachable."""
    names = [a for a in cmd.args if not a.startswith("-")]
    stops = cmd.program in ("stop-service", "spsv") or (
        (_parameter(cmd, "StartupType") or "").lower() == "disabled"
        or (_parameter(cmd, "Status") or "").lower() == "stopped"
    )
    if stops and any(_ACCESS_SERVICES.match(name) for name in names):
        return ACCESS_OFF
    return Verdict(Risk.MODERATE, "changes a service", "ps-service")


def _firewall_profile(cmd: Simple) -> Verdict:
    if (_parameter(cmd, "Enabled") or "").strip("$'\"").lower() in ("false", "0"):
        return FIREWALL_OFF
    return Verdict(Risk.MODERATE, "changes firewall settings", "firewall")


def _netsh(cmd: Simple) -> Verdict | None:
    words = _words(cmd)
    if "advfirewall" in words and "state" in words and words[-1:] == ["off"]:
        return FIREWALL_OFF
    if "reset" in words or "delete" in words:
        return Verdict(Risk.HIGH, "resets or deletes network settings", "network-down")
    if any(w in words for w in ("set", "add")):
        return Verdict(Risk.MODERATE, "changes network settings", "network")
    return None


def _group_member(cmd: Simple) -> Verdict:
    positional = next((a for a in cmd.args if not a.startswith("-")), "")
    group = (_parameter(cmd, "Group") or _parameter(cmd, "Name") or positional).strip("'\"")
    if group.lower() in ("administrators", "admins"):
        return Verdict(Risk.HIGH, "makes a user an administrator", "admin-grant")
    return Verdict(Risk.MODERATE, "changes a group's members", "accounts")


def _net(cmd: Simple) -> Verdict | None:
    """net.exe: `net user eve /add`, `net localgroup administrators eve /add`, `net stop …`."""
    words = _words(cmd)
    if words[:2] == ["localgroup", "administrators"] and "/add" in words:
        return Verdict(Risk.HIGH, "makes a user an administrator", "admin-grant")
    if words[:1] == ["stop"] and any(_ACCESS_SERVICES.match(w) for w in words[1:]):
        return ACCESS_OFF
    if words[:1] in (["user"], ["localgroup"], ["stop"], ["start"], ["share"]) and len(words) > 2:
        return Verdict(Risk.MODERATE, f"changes the system (net {words[0]})", "accounts")
    return None


def _reg(cmd: Simple) -> Verdict | None:
    words = _words(cmd)
    if words[:1] == ["delete"]:
        return Verdict(Risk.HIGH, "deletes registry keys or values", "registry-delete")
    if words[:1] in (["add"], ["import"], ["copy"], ["restore"], ["load"], ["unload"]):
        return Verdict(Risk.MODERATE, f"changes the registry (reg {words[0]})", "registry")
    return None


def _shadow_copies(cmd: Simple) -> Verdict | None:
    """`vssadmin delete shadows /all`, `wmic shadowcopy delete`: Windows' restore points, the
    first thing ransomware removes."""
    words = _words(cmd)
    deletes = "delete" in words and ("shadows" in words or "shadowcopy" in words)
    if deletes or (cmd.program.startswith("vssadmin") and "resize" in words):
        return Verdict(Risk.HIGH, "deletes shadow copies (restore points)", "shadow-delete")
    return None


def _bcdedit(cmd: Simple) -> Verdict | None:
    words = _words(cmd)
    if any(w in ("/set", "/delete", "/deletevalue", "/import", "/default") for w in words):
        return Verdict(Risk.HIGH, "changes how Windows boots", "boot-config")
    return None


WINDOWS_RULES: dict[str, Rule] = {
    **dict.fromkeys(("stop-service", "spsv", "set-service"), _service),
    **dict.fromkeys(("restart-service", "start-service", "sasv", "new-service"),
                    always(Risk.MODERATE, "changes a service", "ps-service")),
    "disable-netadapter": lambda cmd: INTERFACE_DOWN,
    **dict.fromkeys(("enable-netadapter", "set-netipaddress", "new-netipaddress",
                     "remove-netipaddress", "set-dnsclientserveraddress", "new-netfirewallrule",
                     "set-netfirewallrule", "remove-netfirewallrule"),
                    always(Risk.MODERATE, "changes network settings", "network")),
    "set-netfirewallprofile": _firewall_profile,
    "netsh": _netsh, "netsh.exe": _netsh,
    **dict.fromkeys(("remove-localuser", "new-localuser", "set-localuser", "disable-localuser",
                     "remove-localgroupmember"),
                    always(Risk.MODERATE, "changes user accounts", "accounts")),
    "add-localgroupmember": _group_member,
    "net": _net, "net.exe": _net,
    "reg": _reg, "reg.exe": _reg,
    **dict.fromkeys(("set-itemproperty", "sp", "new-itemproperty", "remove-itemproperty", "rp"),
                    always(Risk.MODERATE, "changes item properties (the registry's values)",
                           "registry")),
    **dict.fromkeys(("vssadmin", "vssadmin.exe", "wmic", "wmic.exe"), _shadow_copies),
    "bcdedit": _bcdedit, "bcdedit.exe": _bcdedit,
    "clear-recyclebin": always(Risk.HIGH, "empties the recycle bin for good", "recycle-bin"),
    "cipher": lambda cmd: Verdict(Risk.MODERATE, "wipes free space or changes encryption",
                                  "cipher") if cmd.args else None,
}  # fmt: skip
