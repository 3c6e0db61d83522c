//! Running the rules on several threads.
//!
//! The rules are independent given the shared [`Context`] (its analyses
//! are built once, by whichever thread asks first, in `OnceLock`s), so
//! they run as tasks that the workers take in turn: first the expensive
//! shared analyses the enabled rules read (so that two workers do not
//! wait for the same one), then the rules, the most expensive first, and
//! the collection of inline suppressions. The rules that look at one jail
//! at a time ([`Check::Jails`]) run side by side in sweeps, one per
//! worker: a sweep hands each batch of jails to each of its rules before
//! the next batch. Each rule writes its own buffer; the buffers are
//! returned in the order of the rules, so the findings do not depend on
//! the number of workers or on timing.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use jailconf_parser::diag::Diagnostic;
use jailconf_parser::Config;

use crate::context::Context;
use crate::rule::{Check, CheckConfig, Report, Rule, StartJailCheck};
use crate::suppress::{self, Suppression};

/// Below this much source text the rules run on the calling thread:
/// starting threads would cost more than it saves.
const PARALLEL_BYTES: usize = 64 * 1024;

/// More workers than this gain nothing: the longest chain of work (the
/// statements, then jail(8)'s merging of them) takes about a fifth of the
/// whole.
const MAX_WORKERS: usize = 8;

/// The rules that take longest once the shared analyses exist, most
/// expensive first (measured on the generated 5,000-jail VNET
/// configuration); the others follow in registry order. Only the order
/// in which workers take them, and how the jail rules are dealt into
/// sweeps, depend on this list.
const EXPENSIVE: &[&str] = &[
    "JC038", "JC036", "JC056", "JC035", "JC014", "JC033", "JC070", "JC009", "JC019", "JC057",
    "JC030", "JC058", "JC037", "JC034", "JC018", "JC016", "JC052", "JC012",
];

/// A shared analysis worth building before the rules, with the rules that
/// read it (a rule reading it that is not listed only waits for it).
struct Analysis {
    build: fn(&Context<'_>),
    readers: &'static [&'static str],
    /// The analysis (in [`ANALYSES`]) that builds this one too.
    within: Option<usize>,
}

/// The shared analyses, longest first.
const ANALYSES: &[Analysis] = &[
    // The statements of every file, then jail(8)'s merging of them.
    Analysis {
        build: |context| {
            context.block_merges();
        },
        readers: &["JC011", "JC012"],
        within: None,
    },
    // The statements alone, when nothing above builds them.
    Analysis {
        build: |context| {
            context.statements();
        },
        readers: &["JC008", "JC016", "JC038"],
        within: Some(0),
    },
];

/// The jail rules that read the hook commands and network pictures
/// ([`Batch::net`](crate::context::Batch::net),
/// [`Batch::hook_values`](crate::context::Batch::hook_values)), some only
/// for the jails they report (JC040). A sweep
/// builds these for each batch of jails when a rule first asks and drops
/// them with the batch, so they all go into one sweep: a sweep on another
/// worker would build them again.
const HOOK_READERS: &[&str] = &[
    "JC030", "JC032", "JC033", "JC034", "JC035", "JC036", "JC037", "JC040", "JC041", "JC042",
    "JC043", "JC056", "JC058",
];

/// How many workers lint `config` when the options do not say.
pub(crate) fn default_workers(config: &Config) -> usize {
    let bytes: usize = config.sources.iter().map(|(_, s)| s.text().len()).sum();
    if bytes < PARALLEL_BYTES {
        return 1;
    }
    std::thread::available_parallelism()
        .map_or(1, NonZeroUsize::get)
        .min(MAX_WORKERS)
}

/// What the rules found, per rule in the order given, and the inline
/// suppressions of the configuration.
pub(crate) struct Outcome {
    /// Each rule's findings.
    pub findings: Vec<Vec<Diagnostic>>,
    /// [`suppress::collect`] of the context.
    pub suppressions: Vec<Suppression>,
}

/// One unit of work.
#[derive(Clone, Copy)]
enum Task {
    /// Builds a shared analysis.
    Prepare(fn(&Context<'_>)),
    /// Collects the inline suppressions.
    Suppressions,
    /// Runs the [`Check::Config`] rule at this position.
    Rule(usize, CheckConfig),
    /// Runs this sweep of [`Check::Jails`] rules.
    Sweep(usize),
}

/// What a task produced.
enum Done {
    Nothing,
    Suppressions(Vec<Suppression>),
    /// Findings by rule position.
    Rules(Vec<(usize, Vec<Diagnostic>)>),
}

/// Runs `rules` over the context with up to `workers` threads (the
/// calling thread is one of them).
pub(crate) fn run(context: &Context<'_>, rules: &[&'static Rule], workers: usize) -> Outcome {
    let workers = workers.clamp(1, rules.len().max(1));
    let plan = plan(rules, workers);
    let perform = |task: Task| match task {
        Task::Prepare(build) => {
            build(context);
            Done::Nothing
        }
        Task::Suppressions => Done::Suppressions(suppress::collect(context)),
        Task::Rule(index, check) => {
            let mut findings = Vec::new();
            check(context, &mut Report::new(rules[index], &mut findings));
            Done::Rules(vec![(index, findings)])
        }
        Task::Sweep(sweep) => Done::Rules(run_sweep(context, rules, &plan.sweeps[sweep])),
    };
    let results: Vec<Done> = if workers == 1 {
        plan.tasks.iter().map(|&task| perform(task)).collect()
    } else {
        let next = AtomicUsize::new(0);
        let work = || {
            let mut done = Vec::new();
            while let Some(&task) = plan.tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
                done.push(perform(task));
            }
            done
        };
        // The calling thread is one of the workers; a helper the system
        // refuses to start finds the queue empty when its turn comes.
        jailconf_parser::threads::side_by_side(vec![work; workers])
            .into_iter()
            .flatten()
            .collect()
    };
    let mut outcome = Outcome {
        findings: vec![Vec::new(); rules.len()],
        suppressions: Vec::new(),
    };
    for done in results {
        match done {
            Done::Nothing => {}
            Done::Suppressions(found) => outcome.suppressions = found,
            Done::Rules(found) => {
                for (index, findings) in found {
                    outcome.findings[index] = findings;
                }
            }
        }
    }
    outcome
}

/// Runs the [`Check::Jails`] rules at the positions `sweep` over every
/// jail, a batch at a time; their findings by position.
fn run_sweep(
    context: &Context<'_>,
    rules: &[&'static Rule],
    sweep: &[(usize, StartJailCheck)],
) -> Vec<(usize, Vec<Diagnostic>)> {
    let mut checks: Vec<_> = (sweep.iter())
        .map(|&(index, start)| (index, start(context), Vec::new()))
        .collect();
    // A batch is few enough jails that its jails, values and commands stay
    // in the processor's cache while every rule of the sweep reads them.
    for batch in context.batches() {
        for (index, check, findings) in &mut checks {
            let mut report = Report::new(rules[*index], findings);
            for jail in batch.jails() {
                check.visit(jail, &batch, &mut report);
            }
        }
    }
    (checks.into_iter())
        .map(|(index, check, mut findings)| {
            check.finish(&mut Report::new(rules[index], &mut findings));
            (index, findings)
        })
        .collect()
}

/// The work: tasks in the order workers take them, and the sweeps they
/// name.
struct Plan {
    tasks: Vec<Task>,
    /// Each sweep's rules: position and check.
    sweeps: Vec<Vec<(usize, StartJailCheck)>>,
}

/// The tasks in the order workers take them: the shared analyses the
/// rules read, the sweeps (one per worker: the hook readers in one, the
/// other jail rules dealt out most expensive first), the expensive rules,
/// the suppressions, the other rules.
fn plan(rules: &[&'static Rule], workers: usize) -> Plan {
    let enabled = |code: &str| rules.iter().any(|r| r.code == code);
    let mut tasks: Vec<Task> = Vec::with_capacity(ANALYSES.len() + rules.len() + workers + 1);
    let needed: Vec<bool> = ANALYSES
        .iter()
        .map(|analysis| analysis.readers.iter().any(|code| enabled(code)))
        .collect();
    for (analysis, &needed_here) in ANALYSES.iter().zip(&needed) {
        if needed_here && !analysis.within.is_some_and(|outer| needed[outer]) {
            tasks.push(Task::Prepare(analysis.build));
        }
    }
    let rank = |index: usize| {
        EXPENSIVE
            .iter()
            .position(|code| *code == rules[index].code)
            .unwrap_or(EXPENSIVE.len())
    };
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_by_key(|&index| rank(index));
    let mut sweeps: Vec<Vec<(usize, StartJailCheck)>> = vec![Vec::new(); workers];
    let mut config_rules = Vec::with_capacity(rules.len());
    for index in order {
        match rules[index].check {
            Check::Jails(start) => {
                // The hook readers in the first sweep, the others dealt
                // out over the other sweeps (the first when it is alone).
                let sweep = if HOOK_READERS.contains(&rules[index].code) || workers == 1 {
                    0
                } else {
                    (1..workers)
                        .min_by_key(|&sweep| sweeps[sweep].len())
                        .unwrap_or(0)
                };
                sweeps[sweep].push((index, start));
            }
            Check::Config(check) => config_rules.push((index, check)),
        }
    }
    sweeps.retain(|sweep| !sweep.is_empty());
    tasks.extend((0..sweeps.len()).map(Task::Sweep));
    let cheap = config_rules.partition_point(|&(index, _)| rank(index) < EXPENSIVE.len());
    let rule_task = |&(index, check): &(usize, CheckConfig)| Task::Rule(index, check);
    tasks.extend(config_rules[..cheap].iter().map(rule_task));
    tasks.push(Task::Suppressions);
    tasks.extend(config_rules[cheap..].iter().map(rule_task));
    Plan { tasks, sweeps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::HOOK_BUILDS;
    use crate::facts::RcFacts;
    use crate::rc_conf::RcConf;
    use crate::{rules, HostFacts};
    use jailconf_parser::{MainFile, NoFiles, Target};

    /// A jail rule that reads the hook commands or network pictures must
    /// be in [`HOOK_READERS`]: in a sweep of its own it would build them
    /// again for every batch of jails. The configuration gives each
    /// listed rule something to read, so the list holds no other rule;
    /// an rc.conf lets the rules that need host facts read too.
    #[test]
    fn every_hook_reader_is_listed() {
        let text = b"vnet; exec.start = \"/bin/sh /etc/rc\"; path = \"/usr/local/jails/$name\";
            exec.prestart = \"ifconfig epair${id} create up\";
            exec.prestart += \"ifconfig bridge0 addm epair${id}a up\";
            exec.prestart += \"ifconfig epair${id}b vnet ${name}\";
            exec.created = \"/usr/local/jails/${name}/setup\";
            exec.start += \"ifconfig epair${id}b 192.0.2.${id}/24 up\";
            exec.poststop = \"ifconfig epair${id}a destroy\";
            mount = \"/data /usr/local/jails/${name}/data nullfs rw 0 0\";
            exec.consolelog = \"/var/log/jail.log\";
            a { $id = 1; vnet.interface = \"epair1b\"; }
            b { $id = 2; }
            c { $id = 3; vnet = inherit; ip4.addr = \"192.0.2.3\"; }
            d { $id = 4; vnet = inherit; vnet.interface = \"epair4b\"; }";
        let config = Config::load(
            MainFile::from_path("jail.conf", text.to_vec()),
            &NoFiles,
            Target::default(),
        );
        let facts = HostFacts {
            rc_conf: Some(RcFacts {
                path: "rc.conf".into(),
                conf: RcConf::parse("ifconfig_em0=\"inet 192.0.2.10/24\"\n"),
            }),
            live: None,
        };
        let context = Context::new(&config, &facts);
        for rule in rules::ALL {
            let Check::Jails(start) = rule.check else {
                continue;
            };
            let before = HOOK_BUILDS.with(std::cell::Cell::get);
            let mut findings = Vec::new();
            let mut report = Report::new(rule, &mut findings);
            let mut check = start(&context);
            for batch in context.batches() {
                for jail in batch.jails() {
                    check.visit(jail, &batch, &mut report);
                }
            }
            check.finish(&mut report);
            let built = HOOK_BUILDS.with(std::cell::Cell::get) > before;
            assert_eq!(
                built,
                HOOK_READERS.contains(&rule.code),
                "{}: reads the hook commands, or is in HOOK_READERS, but not both",
                rule.code
            );
        }
    }
}
