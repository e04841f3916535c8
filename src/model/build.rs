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

// The native builder's hot loops index arrays sized by the builder's own
// interning (every index is < the item or session count it was made from);
// it never runs in the browser and never on untrusted bytes at request time.
#![allow(clippy::indexing_slicing)]

use super::data::{Dataset, Feedback, Session};
use super::eval::{self, Metrics};
use super::{Parts, ScoreParams, SessionModel, MAX_NEIGHBOURS};
use crate::error::Result;

/// How neighbour lists are learned. Defaults are the values tuned on the
/// last 10% of the Diginetica training file (`ep-model tune`); other shops
/// should let the builder tune itself (`ep-model build --tune`).
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
    /// Most neighbours kept per item.
    pub neighbours: usize,
    /// Fewest neighbours kept per item (when it has that many).
    pub min_neighbours: usize,
    /// Neighbours per item scale as `per_item * occurrences^power` (the size
    /// budget); `per_item` 0 keeps `neighbours` for every item.
    pub per_item: f32,
    /// The exponent of that scaling.
    pub power: f32,
    /// Recency of training sessions: a session's weight halves every
    /// `half_life` of the data (fraction of sessions, newest = 1); 0 = off.
    pub half_life: f32,
    /// How much a logged decision that converted counts, relative to a click link.
    pub feedback: f32,
    /// Items in the popularity prior.
    pub pop_items: usize,
    /// Weight codes per neighbour (2..=255): fewer levels, smaller gzip.
    pub levels: u8,
    /// Neighbours whose weight code is below this are dropped (size vs. recall).
    pub min_level: u8,
    /// Count a run of clicks on one item as one step when learning links.
    pub collapse: bool,
    /// Renumber items for locality (smaller artifact; item ids are unchanged).
    pub reorder: bool,
    /// Scoring parameters stored in the artifact.
    pub score: ScoreParams,
}

impl Default for BuildParams {
    fn default() -> Self {
        BuildParams {
            window: 8,
            backward: 0.75,
            dist_decay: 0.7,
            alpha: 0.6,
            beta: 0.15,
            neighbours: 120,
            min_neighbours: 4,
            per_item: 6.0,
            power: 0.6,
            half_life: 0.5,
            feedback: 1.0,
            pop_items: 100,
            levels: 16,
            min_level: 1,
            reorder: true,
            collapse: true,
            score: ScoreParams {
                depth: 10,
                decay: 0.5,
                repeat: 1.4,
                repeat_decay: 0.75,
                pop: 0.003,
                repeat_mix: 0.5,
                hop: 0.25,
                hop_from: 10,
            },
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
    let mut collapsed = Session::default();
    for (si, s) in sessions.iter().enumerate() {
        // Repeated clicks on one item are one step for the links (the
        // repeat statistics below still see them).
        let s_links = if p.collapse {
            collapsed.items.clear();
            collapsed.weights.clear();
            for (k, &it) in s.items.iter().enumerate() {
                let w = s.weights.get(k).copied().unwrap_or(1.0);
                if collapsed.items.last() == Some(&it) {
                    if let Some(lw) = collapsed.weights.last_mut() {
                        *lw = lw.max(w);
                    }
                } else {
                    collapsed.items.push(it);
                    collapsed.weights.push(w);
                }
            }
            &collapsed
        } else {
            s
        };
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
        let s = s_links;
        let len = s.items.len();
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
pub fn model_from_counts(ids: &[String], c: &Counts, p: &BuildParams, version: &str) -> Result<SessionModel> {
    let n = ids.len();
    let rerate_f = rerates(c);
    let keep = p.neighbours.min(MAX_NEIGHBOURS);
    let mut frows = float_rows(c, p, keep);
    let mut rows = Vec::with_capacity(n);
    let mut scales = Vec::with_capacity(n);
    let levels = p.levels.max(2);
    let top = f32::from(levels - 1);
    for (i, tmp) in frows.iter_mut().enumerate() {
        top_n(tmp, row_budget(p, c.occurrences.get(i).copied().unwrap_or(0.0)));
        let max = tmp.iter().map(|&(_, w)| w).fold(0f32, f32::max);
        // The stored scale is bfloat16 (truncated), so quantise against it.
        let scale = f32::from_bits(max.to_bits() & 0xffff_0000);
        let mut out = Vec::with_capacity(tmp.len());
        if scale > 0.0 && scale.is_finite() {
            for &(j, w) in tmp.iter() {
                let q = (top * (w / scale).min(1.0).sqrt()).round().clamp(0.0, top) as u8;
                if q > 0 && q >= p.min_level {
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
    let rerate: Vec<u8> = rerate_f.iter().map(|&r| (r * 255.0).round().clamp(0.0, 255.0) as u8).collect();
    if !p.reorder {
        let ids = ids.to_vec();
        return SessionModel::from_parts(Parts {
            version: version.to_string(),
            params: p.score,
            ids,
            levels,
            rows,
            scales,
            rerate,
            pop,
        });
    }
    // Place items next to their neighbours (breadth-first over the strongest
    // links, most popular first) so neighbour gaps are small and compress.
    let order = locality_order(&rows, &c.occurrences);
    let mut new_of = vec![0u32; n];
    for (new, &old) in order.iter().enumerate() {
        new_of[old as usize] = new as u32;
    }
    let remap = |j: u32| new_of.get(j as usize).copied().unwrap_or(0);
    let ids2 = order.iter().map(|&o| ids.get(o as usize).cloned().unwrap_or_default()).collect();
    let rows2 = order
        .iter()
        .map(|&o| rows.get(o as usize).map(|r| r.iter().map(|&(j, q)| (remap(j), q)).collect()).unwrap_or_default())
        .collect();
    let scales2 = order.iter().map(|&o| scales.get(o as usize).copied().unwrap_or(0.0)).collect();
    let rerate2 = order.iter().map(|&o| rerate.get(o as usize).copied().unwrap_or(0)).collect();
    let pop2 = pop.iter().map(|&(j, q)| (remap(j), q)).collect();
    SessionModel::from_parts(Parts {
        version: version.to_string(),
        params: p.score,
        ids: ids2,
        levels,
        rows: rows2,
        scales: scales2,
        rerate: rerate2,
        pop: pop2,
    })
}

/// A breadth-first order over the neighbour graph (strongest links first),
/// starting from the most popular unplaced item each time a component ends.
fn locality_order(rows: &[Vec<(u32, u8)>], occ: &[f32]) -> Vec<u32> {
    let n = rows.len();
    let mut by_pop: Vec<u32> = (0..n as u32).collect();
    by_pop.sort_by(|&a, &b| {
        let oa = occ.get(a as usize).copied().unwrap_or(0.0);
        let ob = occ.get(b as usize).copied().unwrap_or(0.0);
        ob.total_cmp(&oa).then(a.cmp(&b))
    });
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut queue = std::collections::VecDeque::new();
    let mut nb: Vec<(u32, u8)> = Vec::new();
    for &start in &by_pop {
        if placed[start as usize] {
            continue;
        }
        placed[start as usize] = true;
        queue.push_back(start);
        while let Some(i) = queue.pop_front() {
            order.push(i);
            nb.clear();
            nb.extend(rows.get(i as usize).map(Vec::as_slice).unwrap_or(&[]));
            nb.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            for &(j, _) in &nb {
                if let Some(pl) = placed.get_mut(j as usize) {
                    if !*pl {
                        *pl = true;
                        queue.push_back(j);
                    }
                }
            }
        }
    }
    order
}

/// Builds a model from a dataset with the given parameters.
pub fn build(ds: &Dataset, p: &BuildParams, version: &str) -> Result<SessionModel> {
    let c = count_links(ds.items.len(), &ds.sessions, &ds.feedback, p);
    model_from_counts(ds.items.ids(), &c, p, version)
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

/// Neighbours kept for an item seen `occ` times: `per_item * occ^power`,
/// clamped to `min_neighbours..=neighbours`. Frequently seen items are
/// frequently the session's context, so they get the longer lists.
pub fn row_budget(p: &BuildParams, occ: f32) -> usize {
    let lo = p.min_neighbours.min(p.neighbours) as f32;
    let hi = p.neighbours.min(MAX_NEIGHBOURS) as f32;
    if p.per_item <= 0.0 {
        return hi as usize;
    }
    (p.per_item * occ.max(0.0).powf(p.power)).round().clamp(lo, hi) as usize
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
            let mut tmp: Vec<(u32, f32)> = row
                .iter()
                .map(|&(j, w)| (j, w * inv_alpha * inv_beta.get(j as usize).copied().unwrap_or(0.0)))
                .collect();
            top_n(&mut tmp, keep);
            tmp
        })
        .collect()
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
        Knob {
            name: "repeat",
            stage: Stage::Score,
            get: |p| p.score.repeat,
            set: |p, v| p.score.repeat = v,
            values: &[0.5, 0.7, 1.4, 2.0],
            relative: true,
        },
        Knob {
            name: "repeat_decay",
            stage: Stage::Score,
            get: |p| p.score.repeat_decay,
            set: |p, v| p.score.repeat_decay = v,
            values: &[0.3, 0.45, 0.6, 0.75, 0.9],
            relative: false,
        },
        Knob {
            name: "depth",
            stage: Stage::Score,
            get: |p| p.score.depth as f32,
            set: |p, v| p.score.depth = v as u32,
            values: &[1.0, 2.0, 3.0, 4.0, 6.0, 10.0],
            relative: false,
        },
        Knob {
            name: "decay",
            stage: Stage::Score,
            get: |p| p.score.decay,
            set: |p, v| p.score.decay = v,
            values: &[0.2, 0.35, 0.5, 0.65, 0.8],
            relative: false,
        },
        Knob {
            name: "pop",
            stage: Stage::Score,
            get: |p| p.score.pop,
            set: |p, v| p.score.pop = v,
            values: &[0.0, 0.1, 0.3, 3.0, 10.0],
            relative: true,
        },
        Knob {
            name: "repeat_mix",
            stage: Stage::Score,
            get: |p| p.score.repeat_mix,
            set: |p, v| p.score.repeat_mix = v,
            values: &[0.0, 0.25, 0.5, 0.75, 1.0],
            relative: false,
        },
        Knob {
            name: "hop",
            stage: Stage::Score,
            get: |p| p.score.hop,
            set: |p, v| p.score.hop = v,
            values: &[0.0, 0.05, 0.1, 0.15, 0.25],
            relative: false,
        },
        Knob {
            name: "hop_from",
            stage: Stage::Score,
            get: |p| p.score.hop_from as f32,
            set: |p, v| p.score.hop_from = v as u32,
            values: &[5.0, 10.0, 20.0],
            relative: false,
        },
        Knob {
            name: "alpha",
            stage: Stage::Normalise,
            get: |p| p.alpha,
            set: |p, v| p.alpha = v,
            values: &[0.25, 0.4, 0.5, 0.6, 0.75],
            relative: false,
        },
        Knob {
            name: "beta",
            stage: Stage::Normalise,
            get: |p| p.beta,
            set: |p, v| p.beta = v,
            values: &[0.0, 0.05, 0.1, 0.15, 0.25],
            relative: false,
        },
        Knob {
            name: "backward",
            stage: Stage::Count,
            get: |p| p.backward,
            set: |p, v| p.backward = v,
            values: &[0.0, 0.25, 0.5, 0.75, 1.0],
            relative: false,
        },
        Knob {
            name: "dist_decay",
            stage: Stage::Count,
            get: |p| p.dist_decay,
            set: |p, v| p.dist_decay = v,
            values: &[0.2, 0.35, 0.5, 0.7, 0.85],
            relative: false,
        },
        Knob {
            name: "window",
            stage: Stage::Count,
            get: |p| p.window as f32,
            set: |p, v| p.window = v as u32,
            values: &[1.0, 2.0, 3.0, 5.0, 8.0],
            relative: false,
        },
        Knob {
            name: "levels",
            stage: Stage::Normalise,
            get: |p| f32::from(p.levels),
            set: |p, v| p.levels = v.clamp(2.0, 255.0) as u8,
            values: &[],
            relative: false,
        },
        Knob {
            name: "min_level",
            stage: Stage::Normalise,
            get: |p| f32::from(p.min_level),
            set: |p, v| p.min_level = v.clamp(0.0, 255.0) as u8,
            values: &[],
            relative: false,
        },
        Knob {
            name: "reorder",
            stage: Stage::Normalise,
            get: |p| if p.reorder { 1.0 } else { 0.0 },
            set: |p, v| p.reorder = v > 0.5,
            values: &[],
            relative: false,
        },
        Knob {
            name: "collapse",
            stage: Stage::Count,
            get: |p| if p.collapse { 1.0 } else { 0.0 },
            set: |p, v| p.collapse = v > 0.5,
            values: &[],
            relative: false,
        },
        Knob {
            name: "per_item",
            stage: Stage::Normalise,
            get: |p| p.per_item,
            set: |p, v| p.per_item = v,
            values: &[],
            relative: false,
        },
        Knob {
            name: "power",
            stage: Stage::Normalise,
            get: |p| p.power,
            set: |p, v| p.power = v,
            values: &[],
            relative: false,
        },
        Knob {
            name: "min_neighbours",
            stage: Stage::Normalise,
            get: |p| p.min_neighbours as f32,
            set: |p, v| p.min_neighbours = v as usize,
            values: &[],
            relative: false,
        },
        Knob {
            name: "neighbours",
            stage: Stage::Normalise,
            get: |p| p.neighbours as f32,
            set: |p, v| p.neighbours = v as usize,
            values: &[],
            relative: false,
        },
        Knob {
            name: "half_life",
            stage: Stage::Count,
            get: |p| p.half_life,
            set: |p, v| p.half_life = v,
            values: &[0.0, 0.1, 0.25, 0.5, 1.0],
            relative: false,
        },
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
    let mut model = model_from_counts(ids, &counts, &best, "tuning")?;
    let default_metrics = eval::evaluate_model(&model, ids, &val, 20);

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
    if examples == 0 {
        log("tune: no validation examples (too little data); keeping the given parameters");
        return Ok(Tuned { params: best, metrics: best_m, default_metrics, steps, validation_examples: 0 });
    }
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
                    Stage::Score => eval::evaluate_model(&model.clone().with_params(cand.score), ids, &val, 20),
                    Stage::Normalise => {
                        eval::evaluate_model(&model_from_counts(ids, &counts, &cand, "tuning")?, ids, &val, 20)
                    }
                    Stage::Count => {
                        let c = count_links(n, &train.sessions, &train.feedback, &cand);
                        eval::evaluate_model(&model_from_counts(ids, &c, &cand, "tuning")?, ids, &val, 20)
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
                        Stage::Normalise => model = model_from_counts(ids, &counts, &best, "tuning")?,
                        Stage::Count => {
                            counts = count_links(n, &train.sessions, &train.feedback, &best);
                            model = model_from_counts(ids, &counts, &best, "tuning")?;
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
