//! Sorting, written once for the whole crate.
//!
//! Why not call `sort_by` everywhere: each call with its own closure compiles
//! its own copy of the standard sort (several KB of wasm each; eleven copies
//! were 41 KB, a third of the shipped code). In wasm, one stable merge sort
//! takes its comparison as `&dyn Fn`, so there is one copy per element type.
//! Natively the standard stable sort runs. Both are stable, so with the same
//! comparison they give the same order on every platform.

use std::cmp::Ordering;

/// Stable sort of `v` by `cmp`.
pub fn sort_by<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(|a, b| cmp(a, b));
    #[cfg(target_arch = "wasm32")]
    merge_sort(v, cmp);
}

/// The `k` first items of `v` in `cmp` order, sorted; the rest dropped.
pub fn top_k<T: Copy>(v: &mut Vec<T>, k: usize, cmp: &dyn Fn(&T, &T) -> Ordering) {
    #[cfg(not(target_arch = "wasm32"))]
    if v.len() > k && k > 0 {
        v.select_nth_unstable_by(k.saturating_sub(1), |a, b| cmp(a, b));
        v.truncate(k);
    }
    sort_by(v, cmp);
    v.truncate(k);
}

/// Bottom-up merge sort: O(n log n), stable, one buffer.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn merge_sort<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let n = v.len();
    if n < 2 {
        return;
    }
    let mut src: Vec<T> = v.to_vec();
    let mut dst: Vec<T> = Vec::with_capacity(n);
    let mut width = 1;
    while width < n {
        dst.clear();
        let mut start = 0;
        while start < n {
            // start < n and width < n, so neither sum can overflow.
            let mid = start.saturating_add(width).min(n);
            let end = mid.saturating_add(width).min(n);
            let (left, right) = (src.get(start..mid).unwrap_or(&[]), src.get(mid..end).unwrap_or(&[]));
            let (mut i, mut j) = (0, 0);
            while let (Some(a), Some(b)) = (left.get(i), right.get(j)) {
                // Take from the right only when strictly smaller: stability.
                if cmp(b, a) == Ordering::Less {
                    dst.push(*b);
                    j = j.saturating_add(1);
                } else {
                    dst.push(*a);
                    i = i.saturating_add(1);
                }
            }
            dst.extend_from_slice(left.get(i..).unwrap_or(&[]));
            dst.extend_from_slice(right.get(j..).unwrap_or(&[]));
            start = end;
        }
        std::mem::swap(&mut src, &mut dst);
        width = width.saturating_mul(2);
    }
    v.copy_from_slice(&src);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_sort_matches_the_standard_stable_sort() {
        let mut rng = fastrand::Rng::with_seed(11);
        for n in [0usize, 1, 2, 3, 7, 16, 33, 100, 1000] {
            let v: Vec<(u8, u32)> = (0..n as u32).map(|i| (rng.u8(..8), i)).collect();
            let mut a = v.clone();
            let mut b = v.clone();
            merge_sort(&mut a, &|x, y| x.0.cmp(&y.0));
            b.sort_by(|x, y| x.0.cmp(&y.0));
            assert_eq!(a, b, "n = {n}");
        }
    }

    #[test]
    fn top_k_keeps_the_best_in_order() {
        let mut v = vec![5, 1, 4, 2, 3];
        top_k(&mut v, 3, &|a: &i32, b: &i32| b.cmp(a));
        assert_eq!(v, [5, 4, 3]);
    }
}
