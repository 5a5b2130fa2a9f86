//! The usage page of the admin listener: plain server-rendered HTML with an inline SVG chart
//! (requests per day stacked by status code, a legend, `<title>` and `data-*` values on every
//! bar, a few lines of inline JS for the hover box), the credentials table with a `<details>`
//! drill-down each, and the legacy-routes table. No CDN, no build step; every value is
//! HTML-escaped.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use crate::usage::{Credential, Report, Totals, percent, used_columns};

/// Chart geometry (px).
const BAR: usize = 22;
const GAP: usize = 4;
const HEIGHT: usize = 220;
const LEFT: usize = 48;
const TOP: usize = 10;

/// The fill of a status column.
pub fn color(column: &str) -> &'static str {
    match column {
        "200" => "#2e7d32",
        "201" => "#43a047",
        "202" => "#66bb6a",
        "203" => "#81c784",
        "204" => "#a5d6a7",
        "400" => "#ffb300",
        "401" => "#fb8c00",
        "403" => "#f4511e",
        "404" => "#8d6e63",
        "409" => "#ffd54f",
        "415" => "#bcaaa4",
        "422" => "#fdd835",
        "429" => "#8e24aa",
        "500" => "#b71c1c",
        "501" => "#1e88e5",
        "502" => "#e53935",
        "503" => "#ef5350",
        "504" => "#e57373",
        _ => "#9e9e9e",
    }
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.muted{color:#666}.cards{display:flex;gap:16px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:20px}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
#chart .bar:hover rect.seg,#chart .bar:focus rect.seg{opacity:.8}
.legend{display:flex;gap:12px;flex-wrap:wrap;margin:6px 0}.legend span{display:inline-flex;gap:4px;align-items:center}
#tip{position:absolute;background:#fff;border:1px solid #999;border-radius:4px;padding:6px 8px;box-shadow:0 2px 6px #0003;pointer-events:none;white-space:pre}
details{margin:4px 0}";

const SCRIPT: &str = "const tip=document.getElementById('tip');
document.querySelectorAll('#chart .bar').forEach(function(g){
  function show(ev){
    var lines=[g.dataset.day+': '+g.dataset.total+' requests'];
    (g.dataset.counts||'').split(',').filter(Boolean).forEach(function(p){lines.push(p.replace(':',': '));});
    tip.textContent=lines.join('\\n');tip.hidden=false;
    var r=g.getBoundingClientRect();
    tip.style.left=(window.scrollX+r.right+8)+'px';tip.style.top=(window.scrollY+r.top)+'px';
  }
  g.addEventListener('mouseenter',show);g.addEventListener('focus',show);
  g.addEventListener('mouseleave',function(){tip.hidden=true;});g.addEventListener('blur',function(){tip.hidden=true;});
});";

/// The whole page; `nonce` admits its one `<style>` and `<script>` (the CSP of the answer).
pub fn render(r: &Report, nonce: &str) -> String {
    let mut o = String::with_capacity(16 * 1024);
    let month = text(&r.month);
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Harvest v1/v2 usage {month}</title><style nonce=\"{nonce}\">{STYLE}</style></head><body>"
    );
    let _ = write!(
        o,
        "<h1>Harvest v1/v2 usage through harvest-proxy</h1><p class=\"muted\">{month} (UTC) · data last updated <span id=\"updated\">{}</span> · generated {}</p>",
        text(r.last_updated.as_deref().unwrap_or("never")),
        text(&r.generated_at)
    );
    let _ = write!(
        o,
        "<form method=\"get\" action=\"/usage\"><label>Month <input type=\"month\" name=\"month\" value=\"{}\"></label> <button>Show</button> <a href=\"/usage.json?month={}\">JSON</a> <a href=\"/usage.csv?month={}\">CSV</a></form>",
        attr(&r.month),
        attr(&r.month),
        attr(&r.month)
    );
    cards(&mut o, r);
    chart(&mut o, r);
    credentials(&mut o, r);
    routes(&mut o, r);
    let _ = write!(
        o,
        "<div id=\"tip\" role=\"status\" hidden></div><script nonce=\"{nonce}\">{SCRIPT}</script></body></html>"
    );
    o
}

fn cards(o: &mut String, r: &Report) {
    let t = &r.totals;
    let capped = if r.acting_users_capped { "+" } else { "" };
    let items = [
        ("Total requests", t.requests.to_string(), "total"),
        ("Success rate", percent(t.success_rate), "success"),
        (
            "Rate limited (429)",
            t.rate_limited.to_string(),
            "rate-limited",
        ),
        ("v3 calls spent", t.v3_calls.to_string(), "v3-calls"),
        (
            "Writes not served (501)",
            t.unserved_writes.to_string(),
            "unserved",
        ),
        (
            "Distinct acting users",
            format!("{}{capped}", r.acting_users),
            "actors",
        ),
        (
            "Unknown keys (401)",
            r.unauthenticated.requests.to_string(),
            "unknown",
        ),
    ];
    o.push_str("<div class=\"cards\">");
    for (label, value, id) in items {
        let _ = write!(
            o,
            "<div class=\"card\"><b id=\"{id}\">{}</b>{}</div>",
            text(&value),
            text(label)
        );
    }
    let _ = write!(o, "</div><p class=\"muted\">{}</p>", text(r.success_rule));
}

fn chart(o: &mut String, r: &Report) {
    let cols = used_columns(r);
    let max = r.days.iter().map(|d| d.requests).max().unwrap_or(0).max(1);
    let width = LEFT + r.days.len() * (BAR + GAP) + 10;
    let total_h = TOP + HEIGHT + 30;
    o.push_str("<h2>Requests by status code per day</h2><div class=\"legend\" id=\"legend\">");
    for c in &cols {
        let _ = write!(
            o,
            "<span data-status=\"{}\"><svg width=\"12\" height=\"12\"><rect width=\"12\" height=\"12\" fill=\"{}\"/></svg>{}</span>",
            attr(c),
            color(c),
            text(c)
        );
    }
    if cols.is_empty() {
        o.push_str("<span class=\"muted\">no requests in this month</span>");
    }
    let _ = write!(
        o,
        "</div><svg id=\"chart\" width=\"{width}\" height=\"{total_h}\" role=\"img\" aria-label=\"Requests per day stacked by status code\">"
    );
    for (label, v) in [
        (max.to_string(), max),
        ((max / 2).to_string(), max / 2),
        ("0".into(), 0),
    ] {
        let y = TOP + HEIGHT - (v as f64 / max as f64 * HEIGHT as f64) as usize;
        let _ = write!(
            o,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{y}\" y2=\"{y}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">{label}</text>",
            LEFT - 4,
            width - 10,
            LEFT - 8,
            y + 4
        );
    }
    for (i, d) in r.days.iter().enumerate() {
        let x = LEFT + i * (BAR + GAP);
        bar(o, d, x, max, &cols);
    }
    o.push_str("</svg>");
}

/// One day: a focusable group with its counts as data attributes, a segment per status.
fn bar(o: &mut String, d: &crate::usage::Day, x: usize, max: u64, cols: &[String]) {
    let counts: Vec<String> = cols
        .iter()
        .filter_map(|c| {
            let n = d.by_status.get(c).copied().unwrap_or(0);
            (n > 0).then(|| format!("{c}:{n}"))
        })
        .collect();
    let _ = write!(
        o,
        "<g class=\"bar\" tabindex=\"0\" data-day=\"{}\" data-total=\"{}\" data-counts=\"{}\"><title>{}: {} requests{}{}</title><rect class=\"hit\" x=\"{x}\" y=\"{TOP}\" width=\"{BAR}\" height=\"{HEIGHT}\" fill=\"transparent\"/>",
        attr(&d.day),
        d.requests,
        attr(&counts.join(",")),
        text(&d.day),
        d.requests,
        if counts.is_empty() { "" } else { " · " },
        text(&counts.join(", ").replace(':', ": "))
    );
    let mut y = (TOP + HEIGHT) as f64;
    for c in cols {
        let n = d.by_status.get(c).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let h = n as f64 / max as f64 * HEIGHT as f64;
        y -= h;
        let _ = write!(
            o,
            "<rect class=\"seg\" x=\"{x}\" y=\"{y:.1}\" width=\"{BAR}\" height=\"{h:.1}\" fill=\"{}\" data-status=\"{}\" data-count=\"{n}\"><title>{} · {}: {n}</title></rect>",
            color(c),
            attr(c),
            text(&d.day),
            text(c)
        );
    }
    let day_of_month = d.day.rsplit('-').next().unwrap_or("");
    let _ = write!(
        o,
        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">{}</text></g>",
        x + BAR / 2,
        TOP + HEIGHT + 14,
        text(day_of_month)
    );
}

fn status_table(o: &mut String, t: &Totals) {
    o.push_str("<table class=\"statuses\"><tr><th>status</th><th class=\"n\">requests</th></tr>");
    for (s, n) in t.by_status.iter().filter(|(_, n)| **n > 0) {
        let _ = write!(
            o,
            "<tr data-status=\"{}\"><td>{}</td><td class=\"n\">{n}</td></tr>",
            attr(s),
            text(s)
        );
    }
    o.push_str("</table>");
}

fn credentials(o: &mut String, r: &Report) {
    o.push_str("<h2>Active credentials</h2><table id=\"credentials\"><tr><th>label</th><th>key id</th><th>tenant</th><th>v3 client id</th><th class=\"n\">requests</th><th class=\"n\">success rate</th><th class=\"n\">v3 calls</th><th class=\"n\">writes not served</th><th class=\"n\">acting users</th></tr>");
    if r.credentials.is_empty() {
        o.push_str("<tr><td colspan=\"9\" class=\"muted\">no credential made requests in this month</td></tr>");
    }
    for c in &r.credentials {
        credential(o, c);
    }
    let u = &r.unauthenticated;
    let _ = write!(
        o,
        "<tr class=\"unknown\"><td colspan=\"4\">unknown or missing key (authentication failed)</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">-</td><td class=\"n\">-</td></tr></table>",
        u.requests,
        percent(u.success_rate),
        u.v3_calls
    );
}

fn credential(o: &mut String, c: &Credential) {
    let t = &c.totals;
    let _ = write!(
        o,
        "<tr class=\"credential\" data-label=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}{}</td></tr>",
        attr(&c.label),
        text(&c.label),
        text(&c.key_id),
        text(&c.tenant),
        text(&c.client_id),
        t.requests,
        percent(t.success_rate),
        t.v3_calls,
        t.unserved_writes,
        c.acting_users,
        if c.acting_users_capped { "+" } else { "" }
    );
    let _ = write!(
        o,
        "<tr><td colspan=\"9\"><details><summary>{} — status codes, routes, writes not served</summary>",
        text(&c.label)
    );
    status_table(o, t);
    if !c.unserved.is_empty() {
        o.push_str("<p>Writes the proxy could not serve (501: make the v3 calls instead):</p><ul>");
        for u in &c.unserved {
            let _ = write!(
                o,
                "<li><code>{}</code>: {}</li>",
                text(&u.route),
                u.requests
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</details></td></tr>");
}

fn routes(o: &mut String, r: &Report) {
    o.push_str("<h2>Legacy routes still called</h2><table id=\"routes\"><tr><th>key</th><th>route</th><th class=\"n\">requests</th><th>first seen</th><th>last seen</th></tr>");
    for u in &r.routes {
        let _ = write!(
            o,
            "<tr><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            text(&u.key),
            text(&u.route),
            u.requests,
            text(u.first_seen.as_deref().unwrap_or("-")),
            text(u.last_seen.as_deref().unwrap_or("-"))
        );
    }
    o.push_str("</table>");
}
