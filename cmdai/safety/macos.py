"""Rules for macOS's own administration tools: disks (diskutil), Time Machine, System
Integrity Protection and Gatekeeper, launchd, directory services and users, keychains,
settings (defaults, pmset, scutil, networksetup, nvram). programs.POSIX_RULES merges
MACOS_RULES in. Read-only forms (`diskutil list`, `tmutil listbackups`, `defaults read`) get
no verdict."""

from __future__ import annotations

from cmdai.commandline import Simple
from cmdai.safety.levels import Risk, Verdict
from cmdai.safety.rules import INTERFACE_DOWN, Rule
from cmdai.safety.words import operands

# diskutil's verbs that erase what a disk or volume holds (`diskutil eraseDisk APFS x disk2`);
# matched lower-cased, as diskutil reads them.
_DISKUTIL_ERASES = {"erasedisk", "erasevolume", "partitiondisk", "zerodisk", "randomdisk",
                    "secureerase", "reformat", "deletecontainer", "deletevolume",
                    "splitpartition", "mergepartitions", "resizevolume"}  # fmt: skip
_DISKUTIL_CHANGES = {"unmount", "unmountdisk", "eject", "mount", "mountdisk", "renamevolume",
                     "enablejournal", "disablejournal", "repairvolume", "repairdisk",
                     "addvolume", "enableownership", "disableownership"}  # fmt: skip


def _verbs(cmd: Simple) -> list[str]:
    """The words that say what to do, lower-cased (`apfs deleteVolume disk3s2`)."""
    return [word.lower() for word in operands(cmd.args)]


def _diskutil(cmd: Simple) -> Verdict | None:
    verbs = _verbs(cmd)[:2]  # `diskutil eraseDisk …`, `diskutil apfs deleteVolume …`
    if _DISKUTIL_ERASES & set(verbs):
        return Verdict(Risk.CRITICAL, "erases or repartitions a disk or volume", "disk-wipe")
    if _DISKUTIL_CHANGES & set(verbs):
        return Verdict(Risk.MODERATE, "changes a disk or volume", "diskutil")
    return None


def _tmutil(cmd: Simple) -> Verdict | None:
    verbs = _verbs(cmd)
    if verbs[:1] in (["delete"], ["deletelocalsnapshots"], ["thinlocalsnapshots"]):
        return Verdict(Risk.HIGH, "deletes Time Machine backups", "backup-delete")
    if verbs[:1] in (["disable"], ["removedestination"], ["removeexclusion"]):
        return Verdict(Risk.HIGH, "turns Time Machine backups off", "backup-off")
    if verbs[:1] in (["enable"], ["setdestination"], ["addexclusion"], ["startbackup"]):
        return Verdict(Risk.MODERATE, f"changes Time Machine ({verbs[0]})", "backup")
    return None


def _protection_off(cmd: Simple) -> Verdict | None:
    """`csrutil disable`, `spctl --master-disable`: the checks that keep system files and
    unsigned apps out."""
    args = [arg.lower() for arg in cmd.args]
    if cmd.program == "csrutil" and args[:1] in (["disable"], ["clear"]):
        return Verdict(Risk.HIGH, "turns off System Integrity Protection", "protection-off")
    if cmd.program == "spctl" and any(a in ("--master-disable", "--global-disable") for a in args):
        return Verdict(Risk.HIGH, "turns off Gatekeeper", "protection-off")
    return None


def _launchctl(cmd: Simple) -> Verdict | None:
    if _verbs(cmd)[:1] in (["unload"], ["bootout"], ["disable"], ["remove"], ["kill"],
                           ["load"], ["bootstrap"], ["enable"], ["kickstart"]):  # fmt: skip
        return Verdict(Risk.MODERATE, "starts or stops a system service", "launchctl")
    return None


def _accounts(cmd: Simple) -> Verdict | None:
    """dscl, sysadminctl: `sysadminctl -deleteUser bob` removes the home folder too."""
    args = [arg.lower() for arg in cmd.args]
    if "-deleteuser" in args and "-keephome" not in args:
        return Verdict(Risk.HIGH, "deletes a user and their home folder", "user-delete")
    if any(a in ("-delete", "-deleteuser", "-create", "-append", "-passwd", "-adduser",
                 "-change", "-merge") for a in args):  # fmt: skip
        return Verdict(Risk.MODERATE, "changes user accounts", "accounts")
    return None


def _security(cmd: Simple) -> Verdict | None:
    verb = next(iter(_verbs(cmd)), "")
    if verb == "delete-keychain":
        return Verdict(Risk.HIGH, "deletes a keychain and the passwords in it", "keychain")
    if verb.startswith(("delete-", "add-", "set-", "import", "create-")):
        return Verdict(Risk.MODERATE, f"changes keychains ({verb})", "keychain")
    return None


def _defaults(cmd: Simple) -> Verdict | None:
    verb = next(iter(_verbs(cmd)), "")
    if verb in ("delete", "write", "rename", "import"):
        return Verdict(Risk.MODERATE, f"changes app settings (defaults {verb})", "defaults")
    return None


def _networksetup(cmd: Simple) -> Verdict | None:
    args = [arg.lower() for arg in cmd.args]
    setting = next((a for a in args if a.startswith("-set")), "")
    if setting in ("-setairportpower", "-setnetworkserviceenabled") and args[-1:] == ["off"]:
        return INTERFACE_DOWN
    if setting or any(a.startswith(("-remove", "-delete", "-create")) for a in args):
        return Verdict(Risk.MODERATE, "changes network settings", "network")
    return None


def _nvram(cmd: Simple) -> Verdict | None:
    if "-c" in cmd.args:
        return Verdict(Risk.HIGH, "clears the firmware settings", "nvram")
    if any("=" in arg or arg == "-d" for arg in cmd.args):
        return Verdict(Risk.MODERATE, "changes firmware settings", "nvram")
    return None


def _changes_when_given(reason: str, rule_id: str, reading: tuple[str, ...] = ()) -> Rule:
    """A tool that changes something whenever it is given more than a reading option:
    `pmset -a sleep 0` (but `pmset -g`), `scutil --set …` (but `scutil --get …`)."""

    def rule(cmd: Simple) -> Verdict | None:
        if not cmd.args or cmd.args[0].lower() in reading:
            return None
        return Verdict(Risk.MODERATE, reason, rule_id)

    return rule


MACOS_RULES: dict[str, Rule] = {
    "diskutil": _diskutil, "tmutil": _tmutil,
    "csrutil": _protection_off, "spctl": _protection_off,
    "launchctl": _launchctl,
    "dscl": _accounts, "sysadminctl": _accounts,
    "security": _security, "defaults": _defaults,
    "networksetup": _networksetup, "nvram": _nvram,
    "pmset": _changes_when_given("changes power settings", "pmset", ("-g",)),
    "scutil": _changes_when_given("changes system settings", "scutil",
                                  ("--get", "--dns", "--proxy", "--nwi", "-r")),
    "softwareupdate": _changes_when_given("installs system updates", "softwareupdate",
                                          ("-l", "--list", "--history")),
    "kextunload": _changes_when_given("unloads a kernel extension", "kext"),
    "kextload": _changes_when_given("loads a kernel extension", "kext"),
}  # fmt: skip
