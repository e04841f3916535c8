//! The engine: one shopper's session plus the catalog, rules and model it is
//! decided against. This is what the wasm `Personalizer` wraps, one call each.
//!
//! Time is always an argument (`now_ms`) and randomness comes from a seeded
//! generator, so the same calls give the same results on every platform.

use crate::catalog::{Catalog, LoadInfo};
use crate::decide::{self, CartJson, DecideRequest, Decision, Inputs, ItemMasks, LinearScorer, Marks, ModelPicks};
use crate::error::{Error, ErrorCode, Result};
use crate::event::Event;
use crate::ids::{fnv1a64, IdGen};
use crate::json::{Map, Value};
use crate::limits::{MAX_BATCH_EVENTS, MAX_DECISION_K, MAX_ECHOED_CHARS, MAX_ID_LEN, MAX_SCORER_WEIGHT};
use crate::model::SessionModel;
use crate::rules::RuleSet;
use crate::session::Session;

/// Engine settings, from the JS `new Personalizer(config)` object.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub seed: u64,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub half_life_ms: f64,
    /// Share of shoppers (0..1) held out on best-sellers to measure uplift.
    pub holdout_share: f64,
    pub diversity_cap: Option<usize>,
    pub scorer: LinearScorer,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 0x5eed,
            session_id: None,
            user_id: None,
            half_life_ms: 30.0 * 60_000.0,
            holdout_share: 0.0,
            diversity_cap: None,
            scorer: LinearScorer::default(),
        }
    }
}

impl Config {
    pub fn from_value(v: &Value) -> Result<Config> {
        let mut c = Config::default();
        let o = match v {
            Value::Null => return Ok(c),
            Value::Object(o) => o,
            other => return Err(bad("", format!("expected a config object, got {}", other.type_name()))),
        };
        for (key, val) in o.iter() {
            match (key, val) {
                (_, Value::Null) => {}
                ("seed", Value::Number(n)) if n.is_finite() && *n >= 0.0 => c.seed = *n as u64,
                ("sessionId", Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => c.session_id = Some(s.clone()),
                ("userId", Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => c.user_id = Some(s.clone()),
                ("halfLifeSeconds", Value::Number(n)) if *n >= 1.0 && *n <= 365.0 * 86_400.0 => c.half_life_ms = n * 1000.0,
                ("holdoutShare", Value::Number(n)) if (0.0..=1.0).contains(n) => c.holdout_share = *n,
                ("diversityCap", Value::Number(n)) if n.fract() == 0.0 && (1.0..=MAX_DECISION_K as f64).contains(n) => {
                    c.diversity_cap = Some(*n as usize)
                }
                ("weights", Value::Object(w)) => c.scorer = weights(w)?,
                ("seed" | "sessionId" | "userId" | "halfLifeSeconds" | "holdoutShare" | "diversityCap" | "weights", _) => {
                    return Err(bad(key, format!("invalid value for \"{key}\"; see the README's config table")))
                }
                _ => return Err(bad(key, format!("unknown config field \"{}\"", key.chars().take(MAX_ECHOED_CHARS).collect::<String>()))),
            }
        }
        Ok(c)
    }
}

fn bad(path: &str, msg: String) -> Error {
    Error::new(ErrorCode::InvalidConfig, path, msg)
}

fn weights(w: &Map) -> Result<LinearScorer> {
    let mut s = LinearScorer::default();
    for (k, v) in w.iter() {
        let n = v.as_f64().filter(|n| n.is_finite() && n.abs() <= MAX_SCORER_WEIGHT).ok_or_else(|| {
            bad(&format!("weights.{k}"), "weights are numbers from -1000 to 1000".into())
        })?;
        let slot = match k {
            "itemAffinity" => &mut s.item_affinity,
            "categoryAffinity" => &mut s.category_affinity,
            "brandAffinity" => &mut s.brand_affinity,
            "relation" => &mut s.relation,
            "recency" => &mut s.recency,
            "popularity" => &mut s.popularity,
            "priceFit" => &mut s.price_fit,
            "model" => &mut s.model,
            _ => return Err(bad(&format!("weights.{k}"), format!("unknown weight \"{k}\""))),
        };
        *slot = n;
    }
    Ok(s)
}

/// One shopper's personalization engine.
pub struct Engine {
    config: Config,
    session: Session,
    catalog: Catalog,
    rules: RuleSet,
    /// The rules' item-only parts per catalog item, rebuilt whenever either
    /// loads; its generation is the rules' (decisions borrow rule ids from
    /// `rules`, the same texts at the same addresses until the next build).
    masks: ItemMasks,
    /// A decision's per-item marks, kept between decisions (one slot per catalog item).
    marks: Marks,
    /// `session.cart` as rules read it, kept until the cart changes.
    cart_json: CartJson,
    model: Option<SessionModel>,
    rng: fastrand::Rng,
    ids: IdGen,
}

impl Engine {
    pub fn new(config: Config, now_ms: f64) -> Engine {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let mut ids = IdGen::new();
        let id = config.session_id.clone().unwrap_or_else(|| ids.next(now_ms, &mut rng));
        let session = Session::new(id, config.user_id.clone(), now_ms, config.half_life_ms);
        Engine { config, session, catalog: Catalog::default(), rules: RuleSet::default(), masks: ItemMasks::default(), marks: Marks::default(), cart_json: CartJson::default(), model: None, rng, ids }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// "holdout" or "treatment", fixed per user (or per session without a user).
    pub fn group(&self) -> &'static str {
        if self.in_holdout() {
            "holdout"
        } else {
            "treatment"
        }
    }

    fn in_holdout(&self) -> bool {
        if self.config.holdout_share <= 0.0 {
            return false;
        }
        let key = self.session.user_id.as_deref().unwrap_or(&self.session.id);
        (fnv1a64(key.as_bytes()) % 10_000) < (self.config.holdout_share * 10_000.0) as u64
    }

    /// Validates and applies an event; returns it as stored (with id, time,
    /// session and group filled in).
    ///
    /// An event whose id the session has already applied (within the last
    /// `MAX_SEEN_EVENT_IDS` events, across snapshot/restore and session
    /// renewal) changes nothing and fails with `DUPLICATE_EVENT`. Why an error
    /// and not a silent success: the stream behind the outbox is
    /// at-least-once, so re-deliveries are expected, and the caller must be
    /// able to tell "counted" from "already counted" (a page that re-tracks
    /// its own events by mistake would otherwise double-count unnoticed in
    /// every other consumer). At-least-once senders treat the code as success.
    pub fn track(&mut self, v: &Value, now_ms: f64) -> Result<Event> {
        let mut ev = Event::from_value(v, now_ms)?;
        if ev.id.as_deref().is_some_and(|id| self.session.has_seen_event(id)) {
            return Err(Error::new(ErrorCode::DuplicateEvent, "id", "this event id was already tracked; nothing was counted again"));
        }
        let ts = ev.ts.unwrap_or(now_ms);
        match ev.session_id.as_deref() {
            Some(sid) if sid != self.session.id => self.session.renew(sid.to_string(), ts),
            _ if self.session.expired_at(ts) => {
                let id = self.ids.next(now_ms, &mut self.rng);
                self.session.renew(id, ts);
            }
            _ => {}
        }
        if self.session.user_id.is_none() {
            self.session.user_id = ev.user_id.clone();
        }
        if ev.id.is_none() {
            ev.id = Some(self.ids.next(now_ms, &mut self.rng));
        }
        ev.session_id = Some(self.session.id.clone());
        ev.user_id = ev.user_id.or_else(|| self.session.user_id.clone());
        ev.ts = Some(ts);
        ev.group = Some(self.group().to_string());
        self.session.apply(&ev, ts);
        Ok(ev)
    }

    /// Decides the items of one slot.
    pub fn decide(&mut self, v: &Value, now_ms: f64) -> Result<Decision> {
        self.decide_then(v, now_ms, |d| d.to_decision())
    }

    /// [`Self::decide`], handing the decision to `f` in its borrowed form
    /// (ids, rule ids and reasons not yet copied into owned strings): for
    /// callers that only convert it, as the wasm boundary does.
    pub fn decide_then<R>(&mut self, v: &Value, now_ms: f64, f: impl FnOnce(&decide::DecisionRef<'_>) -> R) -> Result<R> {
        let req = DecideRequest::from_value(v)?;
        // Catalog indices for the ring and item affinities added since the
        // last decision (or for a new catalog): the decision reads them
        // instead of hashing ~350 ids.
        let catalog = &self.catalog;
        self.session.refresh_hints(catalog.generation(), &|id| catalog.index_of(id));
        let picks = self.model_picks();
        let id = self.ids.next(now_ms, &mut self.rng);
        let holdout = self.in_holdout();
        let cart_json = self.cart_json.for_session(&self.session);
        let inputs = Inputs {
            session: &self.session,
            catalog: &self.catalog,
            rules: &self.rules,
            masks: &self.masks,
            scorer: &self.config.scorer,
            model_picks: &picks,
            model_version: self.model.as_ref().map(|m| m.version()),
            now_ms,
            diversity_cap: self.config.diversity_cap,
            cart_json: Some(cart_json),
            holdout,
        };
        let decision = decide::decide_ref(&inputs, &req, id, &mut self.marks);
        Ok(f(&decision))
    }

    /// The model's picks for the session so far, mapped onto the catalog and
    /// scaled to 0..1.
    fn model_picks(&self) -> ModelPicks {
        let Some(model) = &self.model else { return Vec::new() };
        let history: Vec<u32> = self.session.recent.iter().filter_map(|i| model.item_index(&i.item)).collect();
        if history.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(64);
        model.recommend(&history, 64, &mut out);
        let top = out.iter().map(|p| p.1 as f64).fold(0.0, f64::max);
        if top <= 0.0 {
            return Vec::new();
        }
        out.iter()
            .filter_map(|&(m, score)| {
                let idx = self.catalog.index_of(model.item_id(m)?)?;
                Some((idx, score as f64 / top))
            })
            .collect()
    }

    pub fn snapshot(&self) -> Vec<u8> {
        self.session.snapshot()
    }

    /// Restores a snapshot. On failure the engine starts a fresh session and
    /// the error says why, so a bad stored value never breaks the page.
    pub fn restore(&mut self, bytes: &[u8], now_ms: f64) -> Result<()> {
        match Session::restore(bytes) {
            Ok(mut s) => {
                s.half_life_ms = self.config.half_life_ms;
                if self.config.user_id.is_some() && s.user_id.is_none() {
                    s.user_id = self.config.user_id.clone();
                }
                self.session = s;
                Ok(())
            }
            Err(e) => {
                self.reset_session(now_ms);
                Err(e)
            }
        }
    }

    /// Starts a fresh session (new id, empty state).
    pub fn reset_session(&mut self, now_ms: f64) {
        let id = self.ids.next(now_ms, &mut self.rng);
        self.session = Session::new(id, self.config.user_id.clone(), now_ms, self.config.half_life_ms);
    }

    /// Replaces the rule set; a bad set leaves the current one in place.
    pub fn load_rules(&mut self, v: &Value) -> Result<usize> {
        let set = RuleSet::from_value(v)?;
        let n = set.rules.len();
        self.masks = ItemMasks::build(&set, &self.catalog);
        self.rules = set;
        Ok(n)
    }

    /// Replaces the catalog; a bad catalog leaves the current one in place.
    pub fn load_catalog(&mut self, v: &Value) -> Result<LoadInfo> {
        let (cat, info) = Catalog::from_value(v)?;
        self.masks = ItemMasks::build(&self.rules, &cat);
        self.catalog = cat;
        Ok(info)
    }

    /// Replaces the model; a bad artifact leaves the current one in place.
    pub fn load_model(&mut self, bytes: &[u8]) -> Result<String> {
        let m = SessionModel::from_bytes(bytes)?;
        let v = m.version().to_string();
        self.model = Some(m);
        Ok(v)
    }

    /// The session as JSON plus what the engine runs with, for debugging UIs.
    pub fn state(&self, now_ms: f64) -> Value {
        let mut v = self.session.to_value(now_ms, 10);
        if let Value::Object(m) = &mut v {
            m.insert("sessionId", Value::from(self.session.id.as_str()));
            m.insert("group", Value::from(self.group()));
            m.insert("catalogItems", Value::Number(self.catalog.len() as f64));
            m.insert("catalogVersion", Value::from(self.catalog.version.as_str()));
            m.insert("rules", Value::Number(self.rules.rules.len() as f64));
            m.insert("rulesVersion", Value::from(self.rules.version.as_str()));
            m.insert("modelVersion", self.model.as_ref().map(|m| Value::from(m.version())).unwrap_or(Value::Null));
        }
        v
    }

    /// Validates a batch for collection (the Worker's `/v1/collect`): each
    /// event is accepted, with its id and time filled in, or rejected with
    /// its reason. Server-side events must name their session.
    pub fn validate_batch(&mut self, batch: &Value, now_ms: f64) -> Result<Vec<std::result::Result<Event, Error>>> {
        let list = batch
            .as_array()
            .ok_or_else(|| Error::new(ErrorCode::WrongType, "", format!("expected an array of events, got {}", batch.type_name())))?;
        if list.len() > MAX_BATCH_EVENTS {
            return Err(Error::new(ErrorCode::TooLarge, "", format!("{} events, at most {MAX_BATCH_EVENTS}", list.len())));
        }
        Ok(list
            .iter()
            .map(|raw| {
                let mut ev = Event::from_value(raw, now_ms)?;
                if ev.session_id.is_none() {
                    return Err(Error::new(ErrorCode::MissingField, "sessionId", "\"sessionId\" is required when collecting"));
                }
                if ev.id.is_none() {
                    ev.id = Some(self.ids.next(now_ms, &mut self.rng));
                }
                ev.ts = Some(ev.ts.unwrap_or(now_ms));
                Ok(ev)
            })
            .collect())
    }
}
