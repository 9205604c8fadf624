"""The business calendar: holidays 1970-2050 against the independent dataset of
the @holiday-jp/holiday_jp package, and add-business-days against SPEC §5."""
import json
import os
import subprocess

from helpers import ROOT, demo_config_text, expect, tsunagu

PLAIN = {"休日": "国民の休日", "休日（祝日扱い）": None, "大喪の礼": "昭和天皇の大喪の礼",
         "結婚の儀": "皇太子徳仁親王の結婚の儀", "体育の日（スポーツの日）": "体育の日"}


def dataset():
    script = ("const h = require('@holiday-jp/holiday_jp/lib/holidays.js');"
              "const all = h.holidays || h; console.log(JSON.stringify(all));")
    out = subprocess.run(["node", "-e", script], cwd=os.path.join(ROOT, "tests"), stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return json.loads(out)


def test_holidays_1970_to_2050_match_holiday_jp():
    ref = dataset()
    ours = {}
    for year in range(1970, 2051):
        proc = tsunagu("calendar", "holidays", str(year))
        expect(proc.returncode == 0, proc.stderr)
        for line in proc.stdout.splitlines():
            day, name = line.split(" ", 1)
            ours[day] = name
    missing = sorted(set(ref) - set(ours))
    extra = sorted(set(ours) - set(ref))
    expect(not missing and not extra, "missing %s, extra %s" % (missing[:10], extra[:10]))
    for day, entry in ref.items():
        name = entry["name"]
        if name.endswith(" 振替休日"):
            name = "振替休日"
        name = PLAIN.get(name, name)
        if name is None:  # 2019's one-off days: the dataset names them generically
            continue
        expect(ours[day] == name, "%s: %s, holiday_jp says %s" % (day, ours[day], entry["name"]))
    expect(ours["2019-05-01"] == "天皇の即位の日" and ours["2019-10-22"] == "即位礼正殿の儀", "2019")
    expect(len(ref) > 1300, len(ref))


def test_add_business_days_follows_spec_example():
    # Friday 2026-05-01 + 3: weekend, 憲法記念日 (Sunday), みどりの日, こどもの日, 振替休日 5/6
    expect(tsunagu("calendar", "add-business-days", "2026-05-01", "3").stdout.strip() == "2026-05-11", "spec")
    # the year-end closure: 12/29 to 1/3 are closed
    expect(tsunagu("calendar", "add-business-days", "2026-12-28", "1").stdout.strip() == "2027-01-04", "year end")
    expect(tsunagu("calendar", "add-business-days", "2026-11-24", "0").stdout.strip() == "2026-11-24", "zero")
    proc = tsunagu("calendar", "add-business-days", "2026-02-30", "1")
    expect(proc.returncode == 2, proc.returncode)
    proc = tsunagu("calendar", "holidays", "1900")
    expect(proc.returncode == 2 and "1948" in proc.stderr, proc.stderr)


def test_add_business_days_skips_the_configs_closed_days():
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "c.yaml")
        text = demo_config_text(tmp).replace("closed_days: []", "closed_days: [2026-05-11, 2026-05-12]")
        open(cfg, "w", encoding="utf-8").write(text)
        out = tsunagu("calendar", "add-business-days", "2026-05-01", "3", "--config", cfg)
        expect(out.stdout.strip() == "2026-05-13", out.stdout + out.stderr)
