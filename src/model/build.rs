//! The model builder (native only): learns item neighbour lists from
//! sessions, quantises them into a [`SessionModel`], and tunes its own
//! hyperparameters on the tail of its training data.
//!
//! ```no_run
//! # fn main() -> edge_personalize::Result<()> {
//! use edge_personalize::model::{build, data};
//! let text = std::fs::read_to_string("train_sessions.txt").unwrap_or_default();
//! let ds = data::read_dataset(&text, false)?;
//! let model = build::build(&ds, &build::BuildParams::default(), "demo-1")?;
//! std::fs::write("model.epm", model.to_bytes()).ok();
//! # Ok(()) }
//! ```

use super::data::{Dataset, Feedback, Session};
use super::eval::{self, Metrics};
use super::{ScoreParams, SessionModel, MAX_NEIGHBOURS};
use crate::error::Result;

/// How neighbour lists are learned. Defaults are the values tuned on the
/// last 10% of the Diginetica training file (see the README).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BuildParams {
    /// Largest distance (in clicks) between two items that still links them.
    pub window: u32,
    /// Weight of a link from an item to one clicked *before* it (forward links weigh 1).
    pub backward: f32,
    /// A link over distance d weighs `dist_decay^(d-1)`.
    pub dist_decay: f32,
    /// Row normalisation: item i's links are divided by `count(i)^alpha`.
    pub alpha: f32,
    /// Target normalisation (idf-like): links to j are divided by `count(j)^beta`.
    pub beta: f32,
    /// Neighbours kept per item (the size budget).
    pub neighbours: usize,
    /// Recency of training sessions: a session's weight halves every
    /// `half_life` of the data (fraction of sessions, newest = 1); 0 = off.
    pub half_life: f32,
    /// How much a logged decision that converted counts, relative to a click link.
    pub feedback: f32,
    /// Items in the popularity prior.
    pub pop_items: usize,
    /// Weight codes per neighbour (2..=255): fewer levels, smaller gzip.
    pub levels: u8,
    /// Passes of gradient refinement of the neighbour weights (0 = off).
    pub refine_epochs: u32,
    /// Learning rate of the refinement.
    pub refine_lr: f32,
    /// Inverse temperature of the refinement's softmax.
    pub refine_temp: f32,
    /// Neighbours per item the refinement starts from; the best `neighbours` are kept after it.
    pub refine_pool: usize,
    /// Scoring parameters stored in the artifact.
    pub score: ScoreParams,
}

impl Default for BuildParams {
    fn default() -> Self {
        BuildParams {
            window: 8,
            backward: 0.5,
            dist_decay: 0.7,
            alpha: 0.5,
            beta: 0.0,
            neighbours: 20,
            half_life: 0.5,
            feedback: 1.0,
            pop_items: 100,
            levels: 16,
            refine_epochs: 0,
            refine_lr: 0.05,
            refine_temp: 1.0,
            refine_pool: 40,
            score: ScoreParams { depth: 6, decay: 0.5, repeat: 2.8, repeat_decay: 0.75, pop: 0.001, repeat_mix: 0.75, hop: 0.1, hop_from: 10 },
        }
    }
}

/// Raw weighted link counts: `rows[i]` = (j, weight) sorted by j.
pub struct Counts {
    pub rows: Vec<Vec<(u32, f32)>>,
    /// Weighted occurrences of each item.
    pub occurrences: Vec<f32>,
    /// Per item: (occurrences with a later click in the session, of which re-clicked later).
    pub reclicks: Vec<(u32, u32)>,
}

fn session_weight(s: usize, total: usize, half_life: f32) -> f32 {
    if half_life <= 0.0 || total == 0 {
        return 1.0;
    }
    let age = (total - 1 - s) as f32 / total as f32;
    0.5f32.powf(age / half_life)
}

/// Accumulates link counts over sessions (and converted decisions).
pub fn count_links(n: usize, sessions: &[Session], feedback: &[Feedback], p: &BuildParams) -> Counts {
    let mut raw: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
    let mut occ = vec![0f32; n];
    let win = p.window.max(1) as usize;
    let mut dist_w = vec![1f32; win + 1];
    for d in 2..=win {
        dist_w[d] = dist_w[d - 1] * p.dist_decay;
    }
    let total = sessions.len();
    let mut reclicks = vec![(0u32, 0u32); n];
    for (si, s) in sessions.iter().enumerate() {
        let sw = session_weight(si, total, p.half_life);
        let len = s.items.len();
        for (q, &i) in s.items.iter().enumerate() {
            if q + 1 < len {
                if let Some(e) = reclicks.get_mut(i as usize) {
                    e.0 += 1;
                    e.1 += u32::from(s.items.get(q + 1..).unwrap_or(&[]).contains(&i));
                }
            }
        }
        for q in 0..len {
            let j = s.items[q];
            let wj = s.weights.get(q).copied().unwrap_or(1.0) * sw;
            if let Some(o) = occ.get_mut(j as usize) {
                *o += wj;
            }
            let lo = q.saturating_sub(win);
            let hi = (q + win).min(len - 1);
            for pidx in lo..=hi {
                let i = s.items[pidx];
                if i == j || i as usize >= n || j as usize >= n {
                    continue;
                }
                let w = if pidx < q { dist_w[q - pidx] } else { p.backward * dist_w[pidx - q] };
                if w > 0.0 {
                    raw[i as usize].push((j, w * wj));
                }
            }
        }
        if si % 64 == 63 {
            // keep memory bounded on big inputs: compact rows that grew large
            for r in raw.iter_mut().filter(|r| r.len() > 4096 && r.len().is_power_of_two()) {
                merge_row(r);
            }
        }
    }
    for f in feedback {
        let mut w = 1.0f32;
        for &i in f.context.iter().rev().take(win) {
            if i != f.item && (i as usize) < n && (f.item as usize) < n {
                raw[i as usize].push((f.item, p.feedback * f.weight * w));
            }
            w *= p.dist_decay;
        }
    }
    for r in raw.iter_mut() {
        merge_row(r);
    }
    Counts { rows: raw, occurrences: occ, reclicks }
}

fn merge_row(r: &mut Vec<(u32, f32)>) {
    r.sort_by_key(|&(j, _)| j);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(r.len());
    for &(j, w) in r.iter() {
        match out.last_mut() {
            Some(last) if last.0 == j => last.1 += w,
            _ => out.push((j, w)),
        }
    }
    *r = out;
}

/// Turns counts into a quantised model: normalise, keep the top neighbours,
/// companded 8-bit weights with a per-item bfloat16 scale.
pub fn model_from_counts(ids: &[String], c: &Counts, sessions: &[Session], p: &BuildParams, version: &str) -> Result<SessionModel> {
    let n = ids.len();
    let rerate_f = rerates(c);
    let keep = p.neighbours.min(MAX_NEIGHBOURS);
    let mut frows = if p.refine_epochs > 0 {
        let mut r = float_rows(c, p, p.refine_pool.max(keep).min(MAX_NEIGHBOURS));
        refine(&mut r, sessions, &rerate_f, p);
        r
    } else {
        float_rows(c, p, keep)
    };
    let mut rows = Vec::with_capacity(n);
    let mut scales = Vec::with_capacity(n);
    let levels = p.levels.max(2);
    let top = f32::from(levels - 1);
    for tmp in frows.iter_mut() {
        top_n(tmp, keep);
        let max = tmp.iter().map(|&(_, w)| w).fold(0f32, f32::max);
        // The stored scale is bfloat16 (truncated), so quantise against it.
        let scale = f32::from_bits(max.to_bits() & 0xffff_0000);
        let mut out = Vec::with_capacity(tmp.len());
        if scale > 0.0 && scale.is_finite() {
            for &(j, w) in tmp.iter() {
                let q = (top * (w / scale).min(1.0).sqrt()).round().clamp(0.0, top) as u8;
                if q > 0 {
                    out.push((j, q));
                }
            }
        }
        rows.push(out);
        scales.push(if scale.is_finite() { scale } else { 0.0 });
    }
    let mut by_pop: Vec<u32> = (0..n as u32).collect();
    by_pop.sort_by(|&a, &b| {
        let oa = c.occurrences.get(a as usize).copied().unwrap_or(0.0);
        let ob = c.occurrences.get(b as usize).copied().unwrap_or(0.0);
        ob.total_cmp(&oa).then(a.cmp(&b))
    });
    by_pop.truncate(p.pop_items.min(super::MAX_POP_ITEMS));
    let top = by_pop.first().and_then(|&i| c.occurrences.get(i as usize)).copied().unwrap_or(0.0);
    let pop = by_pop
        .iter()
        .filter_map(|&i| {
            let o = c.occurrences.get(i as usize).copied().unwrap_or(0.0);
            let q = if top > 0.0 { (255.0 * o / top).round().clamp(0.0, 255.0) as u8 } else { 0 };
            (q > 0).then_some((i, q))
        })
        .collect();
    let rerate = rerate_f.iter().map(|&r| (r * 255.0).round().clamp(0.0, 255.0) as u8).collect();
    SessionModel::from_parts(version, p.score, ids.to_vec(), levels, rows, scales, rerate, pop)
}

/// Builds a model from a dataset with the given parameters.
pub fn build(ds: &Dataset, p: &BuildParams, version: &str) -> Result<SessionModel> {
    let c = count_links(ds.items.len(), &ds.sessions, &ds.feedback, p);
    model_from_counts(ds.items.ids(), &c, &ds.sessions, p, version)
}

/// Re-click rates (as the artifact will quantise them), shrunk towards the
/// global rate for rarely seen items.
fn rerates(c: &Counts) -> Vec<f32> {
    let (te, tr) = c.reclicks.iter().fold((0f64, 0f64), |(a, b), &(e, r)| (a + f64::from(e), b + f64::from(r)));
    let global = if te > 0.0 { tr / te } else { 0.0 };
    let prior = 5.0;
    c.reclicks
        .iter()
        .map(|&(e, r)| {
            let q = ((f64::from(r) + prior * global) / (f64::from(e) + prior) * 255.0).round().clamp(0.0, 255.0);
            (q / 255.0) as f32
        })
        .collect()
}

/// Keeps the `keep` strongest entries of a row (ties: lower index).
fn top_n(tmp: &mut Vec<(u32, f32)>, keep: usize) {
    let better = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if tmp.len() > keep {
        if keep == 0 {
            tmp.clear();
        } else {
            tmp.select_nth_unstable_by(keep - 1, better);
            tmp.truncate(keep);
        }
    }
}

/// Normalised link weights, the `keep` strongest per item.
fn float_rows(c: &Counts, p: &BuildParams, keep: usize) -> Vec<Vec<(u32, f32)>> {
    let pow = |x: f32, e: f32| if e == 0.0 { 1.0 } else { x.max(1e-6).powf(e) };
    let inv_beta: Vec<f32> = c.occurrences.iter().map(|&o| 1.0 / pow(o, p.beta)).collect();
    c.rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let inv_alpha = 1.0 / pow(c.occurrences.get(i).copied().unwrap_or(0.0), p.alpha);
            let mut tmp: Vec<(u32, f32)> =
                row.iter().map(|&(j, w)| (j, w * inv_alpha * inv_beta.get(j as usize).copied().unwrap_or(0.0))).collect();
            top_n(&mut tmp, keep);
            tmp
        })
        .collect()
}

/// Learns the neighbour weights for the scorer they will serve: for every
/// prefix -> next click of the training sessions, one step of gradient
/// descent on the softmax cross-entropy of the next click among the
/// candidates the scorer produces (the same sum of decayed neighbour lists and
/// repeat boosts as `recommend`). Weights stay non-negative. Starting from the
/// co-occurrence weights, this keeps what they know and fixes their ranking
/// mistakes; rare items barely move.
fn refine(rows: &mut [Vec<(u32, f32)>], sessions: &[Session], rerate: &[f32], p: &BuildParams) {
    let n = rows.len();
    let sp = p.score;
    let depth = sp.depth as usize;
    let mut dec = vec![1f32; depth.max(1)];
    for r in 1..depth {
        dec[r] = dec[r - 1] * sp.decay;
    }
    let mut score = vec![0f32; n];
    let mut stamp = vec![0u32; n];
    let mut touched: Vec<u32> = Vec::new();
    let mut clock = 0u32;
    let beta = p.refine_temp;
    let lr = p.refine_lr;
    for _ in 0..p.refine_epochs {
        for s in sessions {
            let items = &s.items;
            for t in 1..items.len() {
                let target = items[t];
                if target as usize >= n {
                    continue;
                }
                let prefix = &items[t.saturating_sub(super::MAX_SESSION_ITEMS)..t];
                clock = clock.wrapping_add(1);
                if clock == 0 {
                    stamp.iter_mut().for_each(|x| *x = 0);
                    clock = 1;
                }
                touched.clear();
                let add = |j: u32, v: f32, score: &mut Vec<f32>, stamp: &mut Vec<u32>, touched: &mut Vec<u32>| {
                    let ju = j as usize;
                    if stamp[ju] != clock {
                        stamp[ju] = clock;
                        score[ju] = 0.0;
                        touched.push(j);
                    }
                    score[ju] += v;
                };
                for (r, &it) in prefix.iter().rev().take(depth).enumerate() {
                    if (it as usize) < n {
                        for &(j, w) in &rows[it as usize] {
                            add(j, dec[r] * w, &mut score, &mut stamp, &mut touched);
                        }
                    }
                }
                let mut w = sp.repeat;
                for &it in prefix.iter().rev() {
                    if (it as usize) < n {
                        let v = w * sp.repeat_mix + (w / sp.repeat.max(1e-12)) * sp.repeat * (1.0 - sp.repeat_mix) * rerate[it as usize];
                        add(it, v, &mut score, &mut stamp, &mut touched);
                    }
                    w *= sp.repeat_decay;
                }
                if stamp[target as usize] != clock || touched.len() < 2 {
                    continue;
                }
                let m = touched.iter().map(|&j| score[j as usize]).fold(f32::MIN, f32::max);
                let mut z = 0f32;
                for &j in &touched {
                    let e = (beta * (score[j as usize] - m)).exp();
                    score[j as usize] = e;
                    z += e;
                }
                // score now holds unnormalised probabilities; gradient = beta * (p - y)
                for (r, &it) in prefix.iter().rev().take(depth).enumerate() {
                    if (it as usize) < n {
                        let step = lr * beta * dec[r];
                        for e in rows[it as usize].iter_mut() {
                            let pr = score[e.0 as usize] / z;
                            let g = if e.0 == target { pr - 1.0 } else { pr };
                            e.1 = (e.1 - step * g).max(0.0);
                        }
                    }
                }
            }
        }
    }
}


/// One step of the tuning log.
#[derive(Clone, Debug)]
pub struct TuneStep {
    pub param: &'static str,
    pub value: f32,
    pub metrics: Metrics,
    pub kept: bool,
}

/// What tuning found.
#[derive(Clone, Debug)]
pub struct Tuned {
    pub params: BuildParams,
    pub metrics: Metrics,
    pub default_metrics: Metrics,
    pub steps: Vec<TuneStep>,
    pub validation_examples: usize,
}

fn objective(m: &Metrics) -> f64 {
    m.hr() + m.mrr()
}

#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Score,
    Normalise,
    Count,
}

type Getter = fn(&BuildParams) -> f32;
type Setter = fn(&mut BuildParams, f32);

struct Knob {
    name: &'static str,
    stage: Stage,
    get: Getter,
    set: Setter,
    /// Candidate values as multiples of the current value (`relative`) or absolute values.
    values: &'static [f32],
    relative: bool,
}

fn knobs() -> Vec<Knob> {
    vec![
        Knob { name: "repeat", stage: Stage::Score, get: |p| p.score.repeat, set: |p, v| p.score.repeat = v, values: &[0.5, 0.7, 1.4, 2.0], relative: true },
        Knob { name: "repeat_decay", stage: Stage::Score, get: |p| p.score.repeat_decay, set: |p, v| p.score.repeat_decay = v, values: &[0.3, 0.45, 0.6, 0.75, 0.9], relative: false },
        Knob { name: "depth", stage: Stage::Score, get: |p| p.score.depth as f32, set: |p, v| p.score.depth = v as u32, values: &[1.0, 2.0, 3.0, 4.0, 6.0, 10.0], relative: false },
        Knob { name: "decay", stage: Stage::Score, get: |p| p.score.decay, set: |p, v| p.score.decay = v, values: &[0.2, 0.35, 0.5, 0.65, 0.8], relative: false },
        Knob { name: "pop", stage: Stage::Score, get: |p| p.score.pop, set: |p, v| p.score.pop = v, values: &[0.0, 0.1, 0.3, 3.0, 10.0], relative: true },
        Knob { name: "repeat_mix", stage: Stage::Score, get: |p| p.score.repeat_mix, set: |p, v| p.score.repeat_mix = v, values: &[0.0, 0.25, 0.5, 0.75, 1.0], relative: false },
        Knob { name: "hop", stage: Stage::Score, get: |p| p.score.hop, set: |p, v| p.score.hop = v, values: &[0.0, 0.05, 0.1, 0.15, 0.25], relative: false },
        Knob { name: "hop_from", stage: Stage::Score, get: |p| p.score.hop_from as f32, set: |p, v| p.score.hop_from = v as u32, values: &[5.0, 10.0, 20.0], relative: false },
        Knob { name: "alpha", stage: Stage::Normalise, get: |p| p.alpha, set: |p, v| p.alpha = v, values: &[0.0, 0.25, 0.5, 0.75, 1.0], relative: false },
        Knob { name: "beta", stage: Stage::Normalise, get: |p| p.beta, set: |p, v| p.beta = v, values: &[0.0, 0.25, 0.5, 0.75, 1.0], relative: false },
        Knob { name: "backward", stage: Stage::Count, get: |p| p.backward, set: |p, v| p.backward = v, values: &[0.0, 0.25, 0.5, 0.75, 1.0], relative: false },
        Knob { name: "dist_decay", stage: Stage::Count, get: |p| p.dist_decay, set: |p, v| p.dist_decay = v, values: &[0.2, 0.35, 0.5, 0.7, 0.85], relative: false },
        Knob { name: "window", stage: Stage::Count, get: |p| p.window as f32, set: |p, v| p.window = v as u32, values: &[1.0, 2.0, 3.0, 5.0, 8.0], relative: false },
        Knob { name: "refine_epochs", stage: Stage::Normalise, get: |p| p.refine_epochs as f32, set: |p, v| p.refine_epochs = v as u32, values: &[], relative: false },
        Knob { name: "refine_lr", stage: Stage::Normalise, get: |p| p.refine_lr, set: |p, v| p.refine_lr = v, values: &[], relative: true },
        Knob { name: "refine_temp", stage: Stage::Normalise, get: |p| p.refine_temp, set: |p, v| p.refine_temp = v, values: &[], relative: true },
        Knob { name: "refine_pool", stage: Stage::Normalise, get: |p| p.refine_pool as f32, set: |p, v| p.refine_pool = v as usize, values: &[], relative: false },
        Knob { name: "levels", stage: Stage::Normalise, get: |p| f32::from(p.levels), set: |p, v| p.levels = v.clamp(2.0, 255.0) as u8, values: &[], relative: false },
        Knob { name: "neighbours", stage: Stage::Normalise, get: |p| p.neighbours as f32, set: |p, v| p.neighbours = v as usize, values: &[], relative: false },
        Knob { name: "half_life", stage: Stage::Count, get: |p| p.half_life, set: |p, v| p.half_life = v, values: &[0.0, 0.1, 0.25, 0.5, 1.0], relative: false },
    ]
}

/// Applies `name=value,name=value` overrides (the knob names of [`tune`]).
pub fn apply_overrides(p: &mut BuildParams, spec: &str) -> std::result::Result<(), String> {
    let all = knobs();
    for part in spec.split(',').filter(|s| !s.trim().is_empty()) {
        let (name, value) = part.split_once('=').ok_or_else(|| format!("expected name=value, got {part:?}"))?;
        let k = all.iter().find(|k| k.name == name.trim()).ok_or_else(|| format!("unknown parameter {name:?}"))?;
        let v: f32 = value.trim().parse().map_err(|_| format!("{name}: not a number: {value:?}"))?;
        if !v.is_finite() || v < 0.0 {
            return Err(format!("{name}: must be a finite non-negative number"));
        }
        (k.set)(p, v);
    }
    Ok(())
}

/// Splits a dataset into (first 90%, last 10%) by session order.
pub fn split_tail(ds: &Dataset, tail: f32) -> (Dataset, Vec<Vec<u32>>) {
    let n = ds.sessions.len();
    let cut = n - ((n as f32 * tail).round() as usize).min(n);
    let train = Dataset {
        items: ds.items.clone(),
        sessions: ds.sessions.get(..cut).unwrap_or(&[]).to_vec(),
        feedback: ds.feedback.clone(),
    };
    let val = ds.sessions.get(cut..).unwrap_or(&[]).iter().map(|s| s.items.clone()).collect();
    (train, val)
}

/// Tunes the parameters by coordinate ascent on HR@20 + MRR@20 of the last
/// `tail` of the sessions, training on the rest. `rounds` passes over all
/// knobs; `log` receives progress lines.
pub fn tune(ds: &Dataset, start: &BuildParams, tail: f32, rounds: usize, log: &mut dyn FnMut(&str)) -> Result<Tuned> {
    let (train, val) = split_tail(ds, tail);
    let ids = ds.items.ids();
    let n = ids.len();
    let mut best = *start;
    let mut counts = count_links(n, &train.sessions, &train.feedback, &best);
    let mut model = model_from_counts(ids, &counts, &train.sessions, &best, "tuning")?;
    let default_metrics = eval::evaluate(&model, &val, 20);
    let mut best_m = default_metrics.clone();
    let examples = default_metrics.examples;
    log(&format!(
        "tune: {} training sessions, {} validation sessions ({} examples); start HR@20 {:.2} MRR@20 {:.2}",
        train.sessions.len(),
        val.len(),
        examples,
        best_m.hr(),
        best_m.mrr()
    ));
    let mut steps = Vec::new();
    for round in 0..rounds {
        let mut improved = false;
        for k in knobs() {
            let cur = (k.get)(&best);
            for &v in k.values {
                let value = if k.relative { cur * v } else { v };
                if (value - cur).abs() <= f32::EPSILON * cur.abs().max(1.0) {
                    continue;
                }
                let mut cand = best;
                (k.set)(&mut cand, value);
                let m = match k.stage {
                    Stage::Score => eval::evaluate(&model.clone().with_params(cand.score), &val, 20),
                    Stage::Normalise => eval::evaluate(&model_from_counts(ids, &counts, &train.sessions, &cand, "tuning")?, &val, 20),
                    Stage::Count => {
                        let c = count_links(n, &train.sessions, &train.feedback, &cand);
                        eval::evaluate(&model_from_counts(ids, &c, &train.sessions, &cand, "tuning")?, &val, 20)
                    }
                };
                let kept = objective(&m) > objective(&best_m) + 1e-9;
                log(&format!(
                    "tune: round {} {}={} HR@20 {:.2} MRR@20 {:.2}{}",
                    round + 1,
                    k.name,
                    value,
                    m.hr(),
                    m.mrr(),
                    if kept { "  (kept)" } else { "" }
                ));
                steps.push(TuneStep { param: k.name, value, metrics: m.clone(), kept });
                if kept {
                    improved = true;
                    best = cand;
                    best_m = m;
                    match k.stage {
                        Stage::Score => model = model.with_params(best.score),
                        Stage::Normalise => model = model_from_counts(ids, &counts, &train.sessions, &best, "tuning")?,
                        Stage::Count => {
                            counts = count_links(n, &train.sessions, &train.feedback, &best);
                            model = model_from_counts(ids, &counts, &train.sessions, &best, "tuning")?;
                        }
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }
    Ok(Tuned { params: best, metrics: best_m, default_metrics, steps, validation_examples: examples })
}

/// A small synthetic dataset in the plain-text session format, for tests and
/// fixtures: items live in clusters of 10, a session walks mostly forward
/// within one cluster and sometimes revisits an item, so a good model has
/// something to learn. Deterministic for a given seed.
pub fn synthetic_sessions(seed: u64, sessions: usize, items: usize) -> String {
    let items = items.max(2) as u64;
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = String::new();
    for _ in 0..sessions {
        let len = 2 + next() % 6;
        let mut cur = next() % items;
        let mut s: Vec<u64> = vec![cur];
        for _ in 1..len {
            let r = next() % 10;
            cur = if r < 6 {
                let base = cur - cur % 10;
                (base + (cur % 10 + 1) % 10).min(items - 1)
            } else if r < 8 {
                s.get((next() % s.len() as u64) as usize).copied().unwrap_or(cur)
            } else {
                next() % items
            };
            s.push(cur);
        }
        let line: Vec<String> = s.iter().map(|i| format!("sku-{}", i + 1)).collect();
        out.push_str(&line.join(" "));
        out.push('\n');
    }
    out
}
