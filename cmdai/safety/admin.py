"""Rules for administration tools whose damage lies outside the file tree the other rules
watch: user accounts, network interfaces, mounts, volume managers and encrypted disks,
databases, cloud storage and infrastructure. Each maps a program name to a rule, as
programs.POSIX_RULES does, which merges ADMIN_RULES in. Read-only forms (`zfs list`, `aws s3
ls`, `ip addr show`, `mysql -e 'SELECT …'`) get no verdict."""

from __future__ import annotations

import re

from cmdai.commandline import Simple, subcommand
from cmdai.safety.levels import Risk, Verdict
from cmdai.safety.rules import INTERFACE_DOWN, Rule, always
from cmdai.safety.words import has_long, operands, short_flags

# --- user accounts ---------------------------------------------------------------------------


_REMOVES_HOME = ("--remove", "--remove-home", "--remove-all-files")  # userdel's, deluser's


def _userdel(cmd: Simple) -> Verdict:
    if "r" in short_flags(cmd.args) or has_long(cmd.args, *_REMOVES_HOME):
        return Verdict(Risk.HIGH, "deletes a user and their home directory", "user-delete")
    return Verdict(Risk.MODERATE, "deletes a user account", "accounts")


def _chage(cmd: Simple) -> Verdict | None:
    if cmd.args[:1] in (["-l"], ["--list"]):
        return None  # shows the password's ageing
    return Verdict(Risk.MODERATE, "changes when a password expires", "accounts")


# --- network interfaces ----------------------------------------------------------------------

_IP_OBJECTS = ("link", "address", "route")
_IP_CHANGES = {"set", "add", "del", "delete", "flush", "replace", "change", "append"}


def _ip_object(word: str) -> str:
    """iproute2 takes any prefix of an object's name: `ip a`, `ip ro`, `ip l`."""
    return next((name for name in _IP_OBJECTS if word and name.startswith(word)), word)


def _ip(cmd: Simple) -> Verdict | None:
    sub, args = subcommand("ip", cmd.args)
    ops = operands(args)
    what, verb = _ip_object(sub), ops[0] if ops else ""
    if what == "link" and verb == "set" and "down" in ops:
        return INTERFACE_DOWN
    if (what in ("address", "route") and verb == "flush") or (
        what == "route" and ops[:2] in (["del", "default"], ["delete", "default"])
    ):
        return Verdict(Risk.HIGH, "removes network addresses or routes", "network-down")
    if verb in _IP_CHANGES:
        return Verdict(Risk.MODERATE, f"changes network settings (ip {what} {verb})", "network")
    return None


def _ifconfig(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if "down" in ops[1:]:
        return INTERFACE_DOWN
    if len(ops) > 1:  # `ifconfig eth0` shows it; anything after the name sets something
        return Verdict(Risk.MODERATE, "changes network settings", "network")
    return None


def _nmcli(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if ops[:2] == ["networking", "off"] or (ops[:1] == ["radio"] and ops[-1:] == ["off"]):
        return INTERFACE_DOWN
    if len(ops) >= 2 and ops[1] in ("down", "disconnect", "delete"):
        return Verdict(Risk.HIGH, "takes a network connection down or deletes it", "network-down")
    if len(ops) >= 2 and ops[1] in ("up", "connect", "add", "modify", "edit", "reload"):
        return Verdict(Risk.MODERATE, f"changes network settings (nmcli {ops[1]})", "network")
    return None


# --- mounts, volume managers, encrypted disks -----------------------------------------------


def _mount(cmd: Simple) -> Verdict | None:
    mounts_all = "a" in short_flags(cmd.args) or has_long(cmd.args, "--all")  # all of fstab
    if operands(cmd.args) or mounts_all or any("remount" in arg for arg in cmd.args):
        return Verdict(Risk.MODERATE, "mounts or remounts a filesystem", "mount")
    return None  # `mount`, `mount -l`: lists what is mounted


def _zfs(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if cmd.program == "zpool" and ops[:1] in (["destroy"], ["labelclear"]):
        return Verdict(Risk.CRITICAL, "destroys a ZFS pool and every dataset in it", "zfs-pool")
    if ops[:1] == ["destroy"] or (cmd.program == "zfs" and ops[:1] == ["rollback"]):
        return Verdict(Risk.HIGH, "destroys ZFS datasets or snapshots", "zfs-destroy")
    if ops[:1] in (["create"], ["set"], ["snapshot"], ["rename"], ["add"], ["import"],
                   ["export"], ["offline"], ["online"], ["replace"], ["detach"]):  # fmt: skip
        return Verdict(Risk.MODERATE, f"changes ZFS storage ({cmd.program} {ops[0]})", "zfs")
    return None


def _mdadm(cmd: Simple) -> Verdict | None:
    flags = short_flags(cmd.args)
    if has_long(cmd.args, "--zero-superblock"):
        return Verdict(Risk.CRITICAL, "wipes RAID metadata from a disk", "disk-wipe")
    if "C" in flags or has_long(cmd.args, "--create"):  # over the disks' data
        return Verdict(Risk.HIGH, "creates a RAID array over the disks named", "raid")
    if flags & {"S", "f", "r", "a"} or has_long(cmd.args, "--stop", "--fail", "--remove", "--add"):
        return Verdict(Risk.MODERATE, "changes a RAID array", "raid")
    return None


def _cryptsetup(cmd: Simple) -> Verdict | None:
    action = next(iter(operands(cmd.args)), "").lower()  # luksErase, luksFormat: any case
    if action in ("erase", "lukserase"):
        return Verdict(
            Risk.CRITICAL,
            "destroys an encrypted disk's keys: its data can never be read again",
            "disk-wipe",
        )
    if action == "luksformat":
        return Verdict(Risk.CRITICAL, "formats a disk for encryption, erasing it", "mkfs")
    if action in ("lukskillslot", "luksremovekey"):
        return Verdict(Risk.HIGH, "removes a key of an encrypted disk", "luks-key")
    return None


def _btrfs(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if len(ops) >= 2 and ops[0].startswith("sub") and ops[1] in ("delete", "del"):
        return Verdict(Risk.HIGH, "deletes a btrfs subvolume and its files", "btrfs-delete")
    return None


# --- databases ------------------------------------------------------------------------------

_SQL_DROPS = re.compile(
    r"\b(?:DROP\s+(?:DATABASE|SCHEMA|TABLE|USER|ROLE)|TRUNCATE)\b"
    r"|\bDELETE\s+FROM\s+[\w.\"`\[\]]+\s*(?:;|$)",  # a DELETE without WHERE empties the table
    re.I,
)
_SQL_WRITES = re.compile(r"\b(?:INSERT\s+INTO|UPDATE\s+[\w.\"`\[\]]+\s+SET|DELETE\s+FROM|ALTER"
                         r"\s+TABLE|CREATE\s+(?:TABLE|DATABASE|INDEX|USER))\b", re.I)  # fmt: skip


def _sql_client(cmd: Simple) -> Verdict | None:
    """`mysql -e "DROP DATABASE shop"`, `psql -c 'TRUNCATE logs'`, `sqlite3 app.db "DELETE
    FROM users"`: the statement is among the words (what a here-document or `< file` feeds in
    is not seen)."""
    if any(_SQL_DROPS.search(arg) for arg in cmd.args):  # each statement is one word
        return Verdict(Risk.HIGH, "drops or empties database tables", "sql-drop")
    if any(_SQL_WRITES.search(arg) for arg in cmd.args):
        return Verdict(Risk.MODERATE, "changes a database", "sql-write")
    return None


def _redis(cmd: Simple) -> Verdict | None:
    words = {arg.upper() for arg in operands(cmd.args)}
    if words & {"FLUSHALL", "FLUSHDB"}:
        return Verdict(Risk.HIGH, "deletes every key in the database", "sql-drop")
    if words & {"DEL", "SET", "UNLINK", "EXPIRE", "RENAME", "HSET", "LPUSH", "RPUSH", "SADD"}:
        return Verdict(Risk.MODERATE, "changes a database", "sql-write")
    return None


_MONGO_DROPS = re.compile(r"dropDatabase|\.drop\(\)|(?:deleteMany|remove)\(\s*\{\s*\}\s*\)")


def _mongo(cmd: Simple) -> Verdict | None:
    if _MONGO_DROPS.search(" ".join(cmd.args)):
        return Verdict(Risk.HIGH, "drops or empties database collections", "sql-drop")
    return None


def _mysqladmin(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)  # the values of -u, -h … among them: look for the command words
    if "drop" in ops:
        return Verdict(Risk.HIGH, "drops a database", "sql-drop")
    if changes := {"create", "shutdown", "flush-privileges", "password"} & set(ops):
        return Verdict(Risk.MODERATE, f"changes the database server ({min(changes)})", "sql-write")
    return None


# --- cloud storage and infrastructure -------------------------------------------------------

_CLOUD_DELETES = re.compile(r"(?:delete|terminate|remove|deregister|destroy)(?:-[\w-]+)?")
_CLOUD_WRITES = re.compile(
    r"(?:create|put|update|modify|start|stop|reboot|run|attach|detach|deploy|set|add|"
    r"import|restore|apply|upgrade|scale|resize)(?:-[\w-]+)?"
)


def _aws(cmd: Simple) -> Verdict | None:
    service, args = subcommand("aws", cmd.args)  # `aws --profile prod s3 rm …`
    operation = next(iter(operands(args)), "")
    if service == "s3":
        return _object_storage([operation], args, "aws s3")
    shown = f"aws {service} {operation}"
    if _CLOUD_DELETES.fullmatch(operation):
        return Verdict(Risk.HIGH, f"deletes cloud resources ({shown})", "cloud")
    if _CLOUD_WRITES.fullmatch(operation):
        return Verdict(Risk.MODERATE, f"changes cloud resources ({shown})", "cloud")
    return None


def _object_storage(verb: list[str], args: list[str], tool: str) -> Verdict | None:
    """`aws s3 rm s3://b --recursive`, `gsutil rm -r gs://b`, `… rb`: whole buckets or trees."""
    recursive = bool(short_flags(args) & {"r", "R", "a"}) or has_long(args, "--recursive")
    if verb == ["rb"] or (verb == ["rm"] and recursive):
        return Verdict(Risk.HIGH, f"deletes cloud storage ({tool} {verb[0]})", "cloud-storage")
    if verb in (["sync"], ["rsync"]) and (has_long(args, "--delete") or "d" in short_flags(args)):
        return Verdict(Risk.HIGH, f"deletes cloud storage ({tool} {verb[0]})", "cloud-storage")
    if verb in (["rm"], ["mv"], ["cp"], ["sync"], ["rsync"], ["mb"]):
        return Verdict(Risk.MODERATE, f"changes cloud storage ({tool} {verb[0]})", "cloud-storage")
    return None


def _gsutil(cmd: Simple) -> Verdict | None:
    return _object_storage(operands(cmd.args)[:1], cmd.args, "gsutil")


def _cloud_cli(cmd: Simple) -> Verdict | None:
    """gcloud, az, doctl: `gcloud compute instances delete web-1`, `az group delete -n rg`: the
    verb is a word of its own, after the resource it acts on."""
    ops = operands(cmd.args)
    if any(_CLOUD_DELETES.fullmatch(op) for op in ops):
        return Verdict(Risk.HIGH, f"deletes cloud resources ({cmd.program})", "cloud")
    if any(_CLOUD_WRITES.fullmatch(op) for op in ops):
        return Verdict(Risk.MODERATE, f"changes cloud resources ({cmd.program})", "cloud")
    return None


def _infrastructure(cmd: Simple) -> Verdict | None:
    """terraform, tofu, pulumi: `destroy` (or `apply -destroy`) tears down what they manage."""
    ops = operands(cmd.args)
    if ops[:1] == ["destroy"] or (ops[:1] == ["apply"] and "-destroy" in cmd.args):
        return Verdict(Risk.HIGH, "destroys the infrastructure it manages", "infra-destroy")
    if ops[:1] in (["apply"], ["up"], ["import"], ["taint"], ["state"], ["refresh"]):
        return Verdict(Risk.MODERATE, f"changes infrastructure ({cmd.program} {ops[0]})", "infra")
    return None


def _helm(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if ops[:1] in (["uninstall"], ["delete"], ["del"], ["un"]):
        return Verdict(Risk.HIGH, "uninstalls a release and its cluster resources", "helm")
    if ops[:1] in (["install"], ["upgrade"], ["rollback"]):
        return Verdict(Risk.MODERATE, f"changes the cluster (helm {ops[0]})", "helm")
    return None


def _hosted(cmd: Simple) -> Verdict | None:
    """gh, heroku, vault, fly: `gh repo delete org/app`, `heroku apps:destroy`, `vault kv
    delete secret/app` take away what lives on a service, with no local copy to restore."""
    words = [word.lower() for word in operands(cmd.args)]
    verbs = [part for word in words[:2] for part in word.split(":")]  # heroku's apps:destroy
    if {"delete", "destroy", "unpublish", "purge"} & set(verbs):
        return Verdict(Risk.HIGH, f"deletes what {cmd.program} hosts", "hosted-delete")
    if {"create", "edit", "merge", "close", "put", "write", "deploy", "set", "release"} & set(
        verbs
    ):
        return Verdict(Risk.MODERATE, f"changes what {cmd.program} hosts", "hosted")
    return None


# --- logs, firewall front end, host keys, file attributes -----------------------------------


def _journalctl(cmd: Simple) -> Verdict | None:
    if any(arg.startswith(("--vacuum-", "--rotate", "--flush")) for arg in cmd.args):
        return Verdict(Risk.MODERATE, "deletes or rotates journal files", "journal")
    return None


def _ufw(cmd: Simple) -> Verdict | None:
    ops = operands(cmd.args)
    if ops[:1] == ["reset"]:
        return Verdict(Risk.HIGH, "removes every firewall rule", "firewall-flush")
    if ops[:1] in (["allow"], ["deny"], ["reject"], ["limit"], ["delete"], ["default"],
                   ["enable"], ["insert"], ["route"]):  # fmt: skip
        return Verdict(Risk.MODERATE, f"changes firewall rules (ufw {ops[0]})", "firewall")
    return None  # `ufw disable` is a family rule: remote access or the firewall off


# Capabilities that make a program root in all but name (setuid, any file, any device).
_ROOT_CAPABILITIES = re.compile(r"cap_(?:setuid|setgid|sys_admin|dac_override|dac_read_search|"
                                r"sys_ptrace|sys_module|chown|fowner)", re.I)  # fmt: skip


def _setcap(cmd: Simple) -> Verdict | None:
    if any(_ROOT_CAPABILITIES.search(arg) for arg in cmd.args):
        return Verdict(Risk.HIGH, "gives a program root's powers", "setcap")
    if operands(cmd.args):
        return Verdict(Risk.MODERATE, "changes a program's capabilities", "setcap")
    return None


def _sysctl(cmd: Simple) -> Verdict | None:
    if "w" in short_flags(cmd.args) or any("=" in op for op in operands(cmd.args)):
        return Verdict(Risk.MODERATE, "changes a kernel setting", "sysctl")
    if "p" in short_flags(cmd.args) or has_long(cmd.args, "--load", "--system"):
        return Verdict(Risk.MODERATE, "loads kernel settings", "sysctl")
    return None


def _ssh_keygen(cmd: Simple) -> Verdict | None:
    if "R" in short_flags(cmd.args):
        return Verdict(Risk.MODERATE, "removes a host's key from known_hosts", "ssh-keygen")
    return None


def _settings_ctl(cmd: Simple) -> Verdict | None:
    """`timedatectl set-timezone Europe/Berlin`, `hostnamectl set-hostname box`, `localectl
    set-locale …`: a set- verb changes the machine's settings; the bare tool only shows them."""
    verb = next(iter(operands(cmd.args)), "")
    if verb.startswith("set-"):
        return Verdict(Risk.MODERATE, f"changes a system setting ({cmd.program} {verb})",
                       "system-setting")  # fmt: skip
    return None


def _hostname(cmd: Simple) -> Verdict | None:
    """`hostname buildbox` (or -F FILE) renames the machine until it restarts; with no name it
    shows it, and -f, -I, -s … show other forms of it."""
    if operands(cmd.args) or "F" in short_flags(cmd.args) or has_long(cmd.args, "--file"):
        return Verdict(Risk.MODERATE, "changes the host name", "system-setting")
    return None


# The tools of ADMIN_RULES that are the same under PowerShell (not ip or mount: aliases there).
CROSS_PLATFORM_TOOLS = ("mysql", "psql", "sqlite3", "sqlcmd", "redis-cli", "mongosh", "aws",
                        "gsutil", "gcloud", "az", "terraform", "tofu", "pulumi", "helm",
                        "ssh-keygen", "gh", "heroku", "vault")  # fmt: skip

ADMIN_RULES: dict[str, Rule] = {
    "userdel": _userdel, "deluser": _userdel,
    **dict.fromkeys(("useradd", "adduser", "usermod", "groupadd", "groupdel", "groupmod",
                     "gpasswd", "chpasswd", "addgroup", "delgroup"),
                    always(Risk.MODERATE, "changes user accounts", "accounts")),
    "chage": _chage,
    "ip": _ip, "ifconfig": _ifconfig, "nmcli": _nmcli,
    "ifdown": lambda cmd: INTERFACE_DOWN,
    "ifup": always(Risk.MODERATE, "brings a network interface up", "network"),
    "mount": _mount,
    "umount": always(Risk.MODERATE, "unmounts a filesystem", "mount"),
    "swapoff": always(Risk.MODERATE, "turns swap off", "mount"),
    "swapon": always(Risk.MODERATE, "turns swap on", "mount"),
    "zfs": _zfs, "zpool": _zfs, "mdadm": _mdadm, "cryptsetup": _cryptsetup, "btrfs": _btrfs,
    **dict.fromkeys(("lvremove", "vgremove", "pvremove"),
                    always(Risk.HIGH, "removes LVM volumes and the data on them", "lvm")),
    "lvreduce": always(Risk.HIGH, "shrinks a volume: data past its new end is lost", "lvm"),
    **dict.fromkeys(("lvcreate", "lvextend", "lvresize", "vgcreate", "vgextend", "pvcreate"),
                    always(Risk.MODERATE, "changes LVM volumes", "lvm")),
    **dict.fromkeys(("mysql", "mariadb", "psql", "sqlite3", "sqlcmd", "cqlsh",
                     "clickhouse-client", "duckdb"), _sql_client),
    **dict.fromkeys(("dropdb", "dropuser"), always(Risk.HIGH, "drops a database", "sql-drop")),
    "mysqladmin": _mysqladmin, "redis-cli": _redis, "mongo": _mongo, "mongosh": _mongo,
    "aws": _aws, "gsutil": _gsutil, "gcloud": _cloud_cli, "az": _cloud_cli, "doctl": _cloud_cli,
    "terraform": _infrastructure, "tofu": _infrastructure, "pulumi": _infrastructure,
    "helm": _helm,
    **dict.fromkeys(("gh", "heroku", "vault", "fly", "flyctl", "netlify", "vercel"), _hosted),
    "journalctl": _journalctl, "ufw": _ufw, "ssh-keygen": _ssh_keygen,
    "chattr": always(Risk.MODERATE, "changes file attributes", "chattr"),
    "setcap": _setcap, "sysctl": _sysctl,
    **dict.fromkeys(("timedatectl", "hostnamectl", "localectl"), _settings_ctl),
    "hostname": _hostname,
}  # fmt: skip
