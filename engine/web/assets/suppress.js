// suppress — small counts kept from a shared document (the review pack): a count under the threshold
// is shown as "5未満", and in a group whose total is shown elsewhere, when only one cell is hidden the
// next smallest is withheld too, so that the total minus the others cannot give the hidden one back.

// Whether a count is too small to show (0 shows: nobody is behind it).
export function isMasked(n, threshold) {
  return n > 0 && n < threshold;
}

export function maskCount(n, threshold, under) {
  return isMasked(n, threshold) ? `${threshold}${under}` : String(n);
}

export function protectCounts(counts, threshold, under, withheld) {
  const shown = counts.map((n) => maskCount(n, threshold, under));
  const hidden = counts.map((n) => isMasked(n, threshold));
  if (hidden.filter(Boolean).length === 1) {
    let k = -1;
    counts.forEach((n, i) => { if (!hidden[i] && n > 0 && (k < 0 || n < counts[k])) k = i; });
    if (k >= 0) shown[k] = withheld;
  }
  return shown;
}
