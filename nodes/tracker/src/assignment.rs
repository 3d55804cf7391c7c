//! Gated global nearest-neighbour assignment.
//!
//! Problem: rows (tracks) and columns (detections) with a cost for each pair inside the gate.
//! Minimise Σ cost(matched pairs) + gate × (unmatched rows): a pair is only worth matching if its
//! cost is below the gate, and two rows never share a column. Written as a maximisation of
//! `gate − cost` over the gated pairs (weight 0 = "not matched"), this is a plain rectangular
//! assignment problem, solved with `pathfinding`'s Kuhn–Munkres (Hungarian, O(n³)).
//!
//! Why pathfinding: maintained, widely used, exact; its weights must be `Ord` (integers), so the
//! float weights are scaled to i64 with 1e-9 × gate resolution (far below any measurement noise).
//!
//! Gated pairs are first split into independent clusters (connected components of the gating
//! graph, union–find): 200 objects spread over a scene are ~200 tiny problems instead of one
//! 200×200 one. The optimum is the same: clusters share no row or column.

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;

/// A pair inside the gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    pub row: usize,
    pub col: usize,
    /// Finite and below the gate (others are ignored).
    pub cost: f64,
}

/// Resolution of the integer weights: `gate / WEIGHT_SCALE`.
const WEIGHT_SCALE: f64 = 1e9;

/// The optimal matching as (row, col) pairs, sorted by row. `rows`/`cols` bound the indices
/// (candidates outside them are ignored).
pub fn assign(
    rows: usize,
    cols: usize,
    candidates: &[Candidate],
    gate: f64,
) -> Vec<(usize, usize)> {
    let usable = |c: &&Candidate| {
        c.row < rows && c.col < cols && c.cost.is_finite() && c.cost < gate && gate.is_finite()
    };
    let candidates: Vec<Candidate> = candidates.iter().filter(usable).copied().collect();
    // Union–find over rows (0..rows) and columns (rows..rows+cols).
    let mut parent: Vec<usize> = (0..rows + cols).collect();
    for c in &candidates {
        let (a, b) = (find(&mut parent, c.row), find(&mut parent, rows + c.col));
        if a != b {
            parent[a] = b;
        }
    }
    // Candidates grouped by cluster root.
    let mut by_root: Vec<(usize, Candidate)> =
        candidates.iter().map(|c| (find(&mut parent, c.row), *c)).collect();
    by_root.sort_by_key(|(root, _)| *root);
    let mut pairs = Vec::new();
    for cluster in by_root.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, only)] = cluster {
            pairs.push((only.row, only.col));
        } else {
            solve_cluster(cluster.iter().map(|(_, c)| c), gate, &mut pairs);
        }
    }
    pairs.sort_unstable();
    pairs
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]]; // path halving
        i = parent[i];
    }
    i
}

/// One connected cluster through Kuhn–Munkres on its dense weight matrix.
fn solve_cluster<'a>(
    cluster: impl Iterator<Item = &'a Candidate> + Clone,
    gate: f64,
    pairs: &mut Vec<(usize, usize)>,
) {
    let mut row_ids: Vec<usize> = cluster.clone().map(|c| c.row).collect();
    let mut col_ids: Vec<usize> = cluster.clone().map(|c| c.col).collect();
    row_ids.sort_unstable();
    row_ids.dedup();
    col_ids.sort_unstable();
    col_ids.dedup();
    // Kuhn–Munkres needs rows <= columns: transpose tall clusters.
    let transpose = row_ids.len() > col_ids.len();
    let (n_rows, n_cols) =
        if transpose { (col_ids.len(), row_ids.len()) } else { (row_ids.len(), col_ids.len()) };
    let mut weights = vec![0i64; n_rows * n_cols];
    for c in cluster {
        // Both searches succeed: the ids were collected from these candidates.
        let (Ok(r), Ok(k)) = (row_ids.binary_search(&c.row), col_ids.binary_search(&c.col)) else {
            continue;
        };
        let (r, k) = if transpose { (k, r) } else { (r, k) };
        // At least 1: a gated pair is always preferred to leaving both unmatched.
        let w = (((gate - c.cost) / gate) * WEIGHT_SCALE).round() as i64;
        weights[r * n_cols + k] = w.max(1);
    }
    let Ok(matrix) = Matrix::from_vec(n_rows, n_cols, weights) else { return };
    let (_, assigned) = kuhn_munkres(&matrix);
    for (r, &k) in assigned.iter().enumerate() {
        if matrix[(r, k)] <= 0 {
            continue; // not a gated pair: the row stays unmatched
        }
        let (row, col) =
            if transpose { (row_ids[k], col_ids[r]) } else { (row_ids[r], col_ids[k]) };
        pairs.push((row, col));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(row: usize, col: usize, cost: f64) -> Candidate {
        Candidate { row, col, cost }
    }

    #[test]
    fn global_optimum_beats_greedy() {
        // Greedy would take (0,0) at 1.0 and leave row 1 with nothing: 1 + gate(10) = 11.
        // Optimal: (0,1) 2.0 + (1,0) 2.0 = 4.
        let p = assign(2, 2, &[c(0, 0, 1.0), c(0, 1, 2.0), c(1, 0, 2.0)], 10.0);
        assert_eq!(p, vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn leaving_unmatched_is_chosen_when_cheaper() {
        // Matching (0,1) at 9 and (1,0) at 9 costs 18; (0,0) at 0.5 and row 1 unmatched costs
        // 0.5 + 10 = 10.5.
        let p = assign(2, 2, &[c(0, 0, 0.5), c(0, 1, 9.0), c(1, 0, 9.0)], 10.0);
        assert_eq!(p, vec![(0, 0)]);
    }

    #[test]
    fn tall_clusters_outside_gate_and_bad_costs() {
        // Three rows compete for one column: the cheapest wins (transposed cluster).
        let p = assign(3, 1, &[c(0, 0, 3.0), c(1, 0, 1.0), c(2, 0, 2.0)], 10.0);
        assert_eq!(p, vec![(1, 0)]);
        // Above the gate, NaN and out-of-range indices are ignored.
        let p = assign(2, 2, &[c(0, 0, 11.0), c(1, 1, f64::NAN), c(5, 0, 1.0)], 10.0);
        assert!(p.is_empty());
        assert!(assign(0, 0, &[], 10.0).is_empty());
    }

    #[test]
    fn independent_clusters_are_solved_separately() {
        let p = assign(4, 4, &[c(0, 1, 1.0), c(1, 1, 0.5), c(1, 0, 4.0), c(3, 3, 2.0)], 10.0);
        assert_eq!(p, vec![(0, 1), (1, 0), (3, 3)]);
    }
}
