//! Where a timeline page puts its rows: one after another down the page, in step order; when the
//! virtual clock moves, the lanes are laid out against time: the space between two rows grows
//! with the time between them (as a square root, capped, so a 30 s wait does not take a
//! screen), the time is written on an axis where it changes, and any virtual time maps to a
//! height ([`Layout::y_of_time`]), so a lease's expiry or a timer's end lands where it happened.
//!
//! Besides the rows of [`fold::rows`], a page has marks of its own at a time and in a lane: a
//! lease that expired ([`Mark::Expiry`]). Another kind of mark is one more variant.

use super::fold::{Row, Rows};
use super::holds::HoldEnd;
use super::timeline::Timeline;

/// Height of one line of text.
pub const LINE: usize = 20;
/// The page's first row starts here.
pub const TOP: usize = 40;
/// Space between two rows at which the clock moved by the smallest step it takes.
const GAP_MIN: f64 = 14.0;
/// Extra space per square root of that step.
const GAP_SCALE: f64 = 14.0;
const GAP_MAX: f64 = 120.0;

/// A page item that is not a row of steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Hold `hold` of [`Timeline::holds`] ran out at `at` (nanoseconds) before anyone let go.
    Expiry { hold: usize, at: u64 },
}

/// One item down the page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// Row `r` of the page's [`Rows`].
    Row(usize),
    Mark(Mark),
}

/// Every item with its top and bottom, and the virtual times they span.
pub struct Layout {
    pub items: Vec<Item>,
    pub top: Vec<usize>,
    pub bottom: Vec<usize>,
    /// For each row of [`Rows`], its item.
    pub item_of_row: Vec<usize>,
    /// Where the clock moves: (height of the dashed line, by how much in nanoseconds).
    pub gaps: Vec<(usize, u64)>,
    /// (first, last) virtual time of each item.
    times: Vec<(u64, u64)>,
    /// Below the last item.
    pub end: usize,
}

impl Layout {
    /// Lay out `rows` of `t`; `lines[r]` is how many lines row r's text wraps to.
    pub fn of(t: &Timeline, rows: &Rows, lines: &[usize]) -> Layout {
        let span = |row: &Row| match row {
            Row::Step(i) => (t.steps[*i].at, t.steps[*i].at),
            Row::Fold(f) => (
                t.steps[f.steps[0]].at,
                t.steps[*f.steps.last().unwrap_or(&f.steps[0])].at,
            ),
        };
        // Expiries go before the first row at or after their time.
        let mut marks: Vec<(u64, Mark)> = t
            .holds
            .iter()
            .enumerate()
            .filter_map(|(hold, h)| match h.end {
                HoldEnd::Expired(at) => Some((at, Mark::Expiry { hold, at })),
                _ => None,
            })
            .collect();
        marks.sort_by_key(|m| m.0);
        let mut items = Vec::new();
        let mut times = Vec::new();
        let mut heights = Vec::new();
        let mut item_of_row = Vec::with_capacity(rows.rows.len());
        let mut marks = marks.into_iter().peekable();
        for (r, row) in rows.rows.iter().enumerate() {
            let (from, to) = span(row);
            while let Some((at, mark)) = marks.next_if(|m| m.0 <= from) {
                items.push(Item::Mark(mark));
                times.push((at, at));
                heights.push(LINE);
            }
            item_of_row.push(items.len());
            items.push(Item::Row(r));
            times.push((from, to));
            heights.push(LINE * lines[r].max(1));
        }
        for (at, mark) in marks {
            items.push(Item::Mark(mark));
            times.push((at, at));
            heights.push(LINE);
        }
        // The smallest move of the clock sets the scale.
        let unit = times
            .windows(2)
            .map(|w| w[1].0.saturating_sub(w[0].1))
            .filter(|&d| d > 0)
            .min()
            .unwrap_or(1) as f64;
        let (mut top, mut bottom, mut gaps) = (Vec::new(), Vec::new(), Vec::new());
        let mut y = TOP;
        let mut clock = 0;
        for (k, h) in heights.iter().enumerate() {
            let now = times[k].0;
            if now > clock {
                let by = now - clock;
                let gap = (GAP_MIN + GAP_SCALE * ((by as f64 / unit).sqrt() - 1.0)).min(GAP_MAX);
                let gap = gap.round() as usize;
                gaps.push((y + gap / 2, by));
                y += gap;
            }
            clock = clock.max(times[k].1);
            top.push(y);
            y += h;
            bottom.push(y);
        }
        Layout {
            items,
            top,
            bottom,
            item_of_row,
            gaps,
            times,
            end: y,
        }
    }

    /// The height at which virtual time `at` (nanoseconds) falls: the top of the first item at
    /// that time, inside an item that spans it (a fold), or between two items in the gap.
    pub fn y_of_time(&self, at: u64) -> usize {
        let mut before: Option<(u64, usize)> = None;
        for k in 0..self.items.len() {
            let (from, to) = self.times[k];
            if at < from {
                return match before {
                    Some((t0, y0)) => lerp(at, (t0, y0), (from, self.top[k])),
                    None => self.top[k],
                };
            }
            if at <= to {
                return if to > from {
                    lerp(at, (from, self.top[k]), (to, self.bottom[k]))
                } else {
                    self.top[k]
                };
            }
            before = Some((to, self.bottom[k]));
        }
        self.end
    }

    /// The first virtual time of item `k`.
    pub fn time_of(&self, k: usize) -> u64 {
        self.times[k].0
    }
}

fn lerp(at: u64, (t0, y0): (u64, usize), (t1, y1): (u64, usize)) -> usize {
    if t1 <= t0 {
        return y0;
    }
    let f = (at - t0) as f64 / (t1 - t0) as f64;
    y0 + ((y1 - y0) as f64 * f).round() as usize
}

#[cfg(test)]
mod tests {
    use super::lerp;

    #[test]
    fn times_between_two_items_fall_between_them() {
        assert_eq!(lerp(15, (10, 100), (20, 200)), 150);
        assert_eq!(lerp(10, (10, 100), (10, 200)), 100);
    }
}
