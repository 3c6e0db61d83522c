#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: BSD-2-Clause
"""Ansible module: manage FreeBSD jail.conf declaratively through jailconf."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: jailconf
short_description: Manage FreeBSD jails declaratively from jail.conf
description:
  - Writes a jail.conf(5) file, lints it and converges the host's running
    jails to it with C(jailconf plan) and C(jailconf apply), which drive
    FreeBSD's own jail(8), jls(8), ifconfig(8) and zfs(8).
  - The module holds no jail logic of its own; the C(jailconf) binary's
    JSON outputs are the contract.
  - Check mode computes the plan and reports C(changed) without writing
    the file or touching a jail. Diff mode returns the file's before and
    after text and, per jail, its effective parameters before and after.
version_added: "0.1.0"
options:
  dest:
    description:
      - The configuration file to manage (for example
        C(/etc/jail.conf.d/web.conf)). Without I(src) and I(content) the
        file is used as it is.
    type: path
    required: true
  src:
    description: A file on the target whose text becomes I(dest).
    type: path
  content:
    description: The text of I(dest).
    type: str
  state:
    description:
      - C(present) writes and lints the file only.
      - C(running) also converges the jails the file defines (create,
        modify in place, restart when a create-only parameter changed).
      - C(absent) stops the jails the file defines and removes the file.
    type: str
    choices: [present, absent, running]
    default: running
  prune:
    description: Also remove running jails that no configuration defines.
    type: bool
    default: false
  lint:
    description:
      - C(error) fails on lint errors before anything changes.
      - C(warn) reports lint findings as warnings and goes on.
      - C(off) does not lint.
    type: str
    choices: [error, warn, "off"]
    default: error
  jails:
    description: Limit the plan to these jails.
    type: list
    elements: str
    default: []
  target:
    description: FreeBSD release whose jail(8) to follow (13, 14 or 15).
    type: str
  jailconf:
    description: The jailconf binary.
    type: path
    default: jailconf
  lock_file:
    description: Lock file of C(jailconf apply) (default C(/var/run/jailconf.lock)).
    type: path
  state_file:
    description: Record of applied pseudo-parameters (default C(/var/db/jailconf/applied.json)).
    type: path
author:
  - jailconf contributors
"""

EXAMPLES = r"""
- name: Web jail, running
  jailconf.freebsd.jailconf:
    dest: /etc/jail.conf.d/web.conf
    content: |
      web {
          path = "/jail/web";
          host.hostname = "web";
          ip4.addr = "em0|192.0.2.10/24";
          exec.start = "/bin/sh /etc/rc";
          exec.stop = "/bin/sh /etc/rc.shutdown";
      }

- name: Retire the old jail
  jailconf.freebsd.jailconf:
    dest: /etc/jail.conf.d/old.conf
    state: absent
"""

RETURN = r"""
plan:
  description: The plan (schema C(jailconf.plan/1)) computed, and for a
    real run applied, for state C(running).
  returned: when state is running
  type: dict
lint:
  description: Lint findings (schema C(jailconf.lint/1)).
  returned: when lint is not off
  type: dict
apply:
  description: The report of C(jailconf apply --json) (schema C(jailconf.apply/1)).
  returned: when jails were changed
  type: dict
commands:
  description: What was done, step by step.
  returned: always
  type: list
  elements: str
step:
  description: The step that failed (C(lint), C(plan), C(write), C(apply), C(stop), C(remove)).
  returned: on failure
  type: str
stderr:
  description: The failing command's standard error (jail(8)'s message included).
  returned: on failure
  type: str
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

# `jailconf plan` exit codes: 0 no changes, 2 changes, anything else an error.
PLAN_NO_CHANGES = 0
PLAN_CHANGES = 2


class Jailconf(object):
    """Runs the jailconf binary (argv lists, never a shell)."""

    def __init__(self, module):
        self.module = module
        self.binary = module.params["jailconf"]
        self.target = module.params["target"]
        self.log = []
        # A staged copy's path, reported as the file it stands for.
        self.alias = None

    def run(self, args):
        argv = [self.binary] + args
        self.log.append(" ".join(argv))
        rc, out, err = self.module.run_command(argv, check_rc=False)
        if self.alias:
            staged, dest = self.alias
            out, err = out.replace(staged, dest), err.replace(staged, dest)
        return rc, out, err

    def common(self):
        return ["--target", self.target] if self.target else []

    def host_args(self):
        args = []
        if self.module.params["lock_file"]:
            args += ["--lock-file", self.module.params["lock_file"]]
        return args

    def state_args(self):
        if self.module.params["state_file"]:
            return ["--state-file", self.module.params["state_file"]]
        return []

    def eval_jails(self, path):
        """Each jail's effective parameters, as `name = values` lines."""
        if path is None or not os.path.exists(path):
            return {}
        rc, out, _ = self.run(["eval", "--json"] + self.common() + [path])
        if rc != 0 and not out:
            return {}
        try:
            document = json.loads(out)
        except ValueError:
            return {}
        jails = {}
        for jail in document.get("jails", []):
            lines = []
            for param in jail.get("params", []):
                values = [v.get("text", "") for v in param.get("values", [])]
                if values:
                    lines.append("%s = %s;" % (param["name"], ", ".join(values)))
                else:
                    lines.append("%s;" % param["name"])
            jails[jail["name"]] = "\n".join(lines) + "\n"
        return jails


def fail(module, tool, step, msg, **extra):
    module.fail_json(msg=msg, step=step, commands=tool.log, **extra)


def read_bytes(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IOError:
        return None


def write_atomic(path, data):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory)
    fd, tmp = tempfile.mkstemp(prefix=".jailconf-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except Exception:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def staged_copy(dest, data):
    """The new text under dest's own name, in a private directory beside
    dest (so that lint rules about file names and absolute .include paths
    see what they will see once it is written). Returns (directory, path)."""
    parent = os.path.dirname(os.path.abspath(dest))
    directory = tempfile.mkdtemp(prefix=".jailconf-check-", dir=parent if os.path.isdir(parent) else None)
    path = os.path.join(directory, os.path.basename(dest))
    with open(path, "wb") as handle:
        handle.write(data)
    return directory, path


def lint(module, tool, path):
    mode = module.params["lint"]
    if mode == "off":
        return None
    rc, out, err = tool.run(["lint", "--format", "json"] + tool.common() + [path])
    if rc not in (0, 1):
        fail(module, tool, "lint", "jailconf lint failed: %s" % err.strip(), stderr=err)
    try:
        report = json.loads(out)
    except ValueError:
        fail(module, tool, "lint", "jailconf lint printed no JSON", stderr=err)
    errors = [f for f in report.get("findings", []) if f.get("severity") == "error"]
    if errors and mode == "error":
        first = errors[0]
        fail(
            module,
            tool,
            "lint",
            "lint errors in %s: %s:%s:%s: %s [%s]"
            % (module.params["dest"], first.get("file"), first["start"]["line"],
               first["start"]["column"], first.get("message"), first.get("code")),
            lint=report,
        )
    for finding in report.get("findings", []):
        if finding.get("severity") in ("error", "warning"):
            module.warn(
                "%s:%s: %s [%s]"
                % (finding.get("file"), finding["start"]["line"], finding.get("message"), finding.get("code"))
            )
    return report


def plan_flags(module):
    """The flags plan and apply share: --prune, --force, --jail."""
    flags = []
    if module.params["prune"]:
        flags.append("--prune")
    if module.params["lint"] != "error":
        flags.append("--force")
    for jail in module.params["jails"]:
        flags += ["--jail", jail]
    return flags


def plan(module, tool, path):
    args = ["plan", "--json", "-f", path] + tool.common() + tool.state_args() + plan_flags(module)
    rc, out, err = tool.run(args)
    if rc not in (PLAN_NO_CHANGES, PLAN_CHANGES):
        fail(module, tool, "plan", "jailconf plan failed: %s" % err.strip(), stderr=err)
    try:
        document = json.loads(out)
    except ValueError:
        fail(module, tool, "plan", "jailconf plan printed no JSON", stderr=err)
    return document, rc == PLAN_CHANGES


def apply(module, tool, path):
    args = (["apply", "--yes", "--json", "-f", path] + tool.common() + tool.host_args()
            + tool.state_args() + plan_flags(module))
    rc, out, err = tool.run(args)
    try:
        report = json.loads(out)
    except ValueError:
        fail(module, tool, "apply", "jailconf apply failed: %s" % err.strip(), stderr=err)
    if rc != 0 or not report.get("success"):
        failures = report.get("failed", [])
        details = "; ".join(
            "jail %s: %s failed: %s" % (f["jail"], f["action"], f.get("stderr", "").strip())
            for f in failures
        ) or err.strip()
        fail(module, tool, "apply", "jailconf apply failed: %s" % details,
             stderr="\n".join(f.get("stderr", "") for f in failures) or err, report=report)
    return report


def jail_diff(before, after):
    diffs = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            diffs.append({
                "before_header": "jail %s (before)" % name,
                "after_header": "jail %s (after)" % name,
                "before": before.get(name, ""),
                "after": after.get(name, ""),
            })
    return diffs


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            src=dict(type="path"),
            content=dict(type="str"),
            state=dict(type="str", default="running", choices=["present", "absent", "running"]),
            prune=dict(type="bool", default=False),
            lint=dict(type="str", default="error", choices=["error", "warn", "off"]),
            jails=dict(type="list", elements="str", default=[]),
            target=dict(type="str"),
            jailconf=dict(type="path", default="jailconf"),
            lock_file=dict(type="path"),
            state_file=dict(type="path"),
        ),
        mutually_exclusive=[["src", "content"]],
        supports_check_mode=True,
    )
    tool = Jailconf(module)
    dest = module.params["dest"]
    state = module.params["state"]
    before = read_bytes(dest)

    if state == "absent":
        absent(module, tool, dest, before)
        return

    if module.params["content"] is not None:
        desired = module.params["content"].encode("utf-8")
    elif module.params["src"] is not None:
        desired = read_bytes(module.params["src"])
        if desired is None:
            fail(module, tool, "write", "cannot read src %s" % module.params["src"])
    else:
        desired = before
        if desired is None:
            fail(module, tool, "write", "%s does not exist and neither src nor content is given" % dest)
    file_changed = desired != before

    # Lint and plan the text as it will be, without writing dest yet.
    staged_dir, staged = staged_copy(dest, desired) if file_changed else (None, None)
    subject = staged or dest
    if staged:
        tool.alias = (staged, dest)
    result = dict(changed=file_changed, commands=tool.log)
    try:
        result["lint"] = lint(module, tool, subject)
        jails_before = tool.eval_jails(dest) if module._diff else {}
        jails_after = tool.eval_jails(subject) if module._diff else {}
        if state == "running":
            result["plan"], jail_changes = plan(module, tool, subject)
            result["changed"] = file_changed or jail_changes
    finally:
        tool.alias = None
        if staged_dir:
            shutil.rmtree(staged_dir, ignore_errors=True)

    if module._diff:
        result["diff"] = [{
            "before_header": dest,
            "after_header": dest,
            "before": (before or b"").decode("utf-8", "replace"),
            "after": desired.decode("utf-8", "replace"),
        }] + jail_diff(jails_before, jails_after)

    if module.check_mode or not result["changed"]:
        module.exit_json(**result)

    if file_changed:
        try:
            write_atomic(dest, desired)
        except (IOError, OSError) as error:
            fail(module, tool, "write", "cannot write %s: %s" % (dest, error))
        tool.log.append("write %s" % dest)
    if state == "running" and jail_changes:
        result["apply"] = apply(module, tool, dest)
    module.exit_json(**result)


def absent(module, tool, dest, before):
    """Stops the jails the file defines, then removes the file."""
    if before is None:
        module.exit_json(changed=False, commands=tool.log)
    rc, out, err = tool.run(["status", "--json", "-f", dest] + tool.common() + tool.state_args())
    if rc != 0:
        fail(module, tool, "stop", "jailconf status failed: %s" % err.strip(), stderr=err)
    try:
        status = json.loads(out)
    except ValueError:
        fail(module, tool, "stop", "jailconf status printed no JSON", stderr=err)
    running = [
        j["name"] for j in status.get("jails", [])
        if j.get("configured") and j.get("jid") is not None
    ]
    result = dict(changed=True, commands=tool.log, stopped=running)
    if module._diff:
        result["diff"] = {"before_header": dest, "after_header": dest,
                          "before": before.decode("utf-8", "replace"), "after": ""}
    if module.check_mode:
        module.exit_json(**result)
    for name in running:
        rc, out, err = tool.run(["destroy", name, "--yes", "-f", dest] + tool.common()
                                + tool.host_args() + tool.state_args())
        if rc != 0:
            fail(module, tool, "stop", "cannot stop jail %s: %s" % (name, err.strip()), stderr=err)
    try:
        os.unlink(dest)
    except OSError as error:
        fail(module, tool, "remove", "cannot remove %s: %s" % (dest, error))
    tool.log.append("remove %s" % dest)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
