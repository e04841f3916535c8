//! How candidates get their base score before rules adjust it.

/// Features of one candidate item in one decision, computed by the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Features {
    /// Decayed affinity for the item itself, normalised to 0..1 within the session.
    pub item_affinity: f64,
    /// Decayed affinity for the item's category, normalised 0..1.
    pub category_affinity: f64,
    /// Decayed affinity for the item's brand, normalised 0..1.
    pub brand_affinity: f64,
    /// Strongest relation weight from a recent interaction, times its recency (0..1).
    pub relation: f64,
    /// Recency of the last interaction with the item itself (1 = just now, 0 = never).
    pub recency: f64,
    /// Best-seller popularity, 0..1 (1 = top seller).
    pub popularity: f64,
    /// How close the price is to the session's typical price (1 = same, 0 = far or unknown).
    pub price_fit: f64,
    /// The learned session model's score for this item, 0..1 (0 when no model is loaded).
    pub model: f64,
}

/// Turns features into a score. The default is a small linear model; the
/// learned session model (issue 5) plugs in through `Features::model`.
pub trait Scorer {
    fn score(&self, f: &Features) -> f64;
}

/// Weighted sum of the features. Weights are config, so merchants and the
/// model builder can tune them without a new build.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearScorer {
    pub item_affinity: f64,
    pub category_affinity: f64,
    pub brand_affinity: f64,
    pub relation: f64,
    pub recency: f64,
    pub popularity: f64,
    pub price_fit: f64,
    pub model: f64,
}

impl Default for LinearScorer {
    fn default() -> Self {
        LinearScorer {
            item_affinity: 0.5,
            category_affinity: 1.0,
            brand_affinity: 0.4,
            relation: 1.2,
            recency: 0.2,
            popularity: 0.3,
            price_fit: 0.2,
            model: 1.5,
        }
    }
}

impl Scorer for LinearScorer {
    fn score(&self, f: &Features) -> f64 {
        self.item_affinity * f.item_affinity
            + self.category_affinity * f.category_affinity
            + self.brand_affinity * f.brand_affinity
            + self.relation * f.relation
            + self.recency * f.recency
            + self.popularity * f.popularity
            + self.price_fit * f.price_fit
            + self.model * f.model
    }
}
