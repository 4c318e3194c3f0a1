"""The page's stylesheet (inline: the report must open offline)."""

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1200px;padding:0 1.5rem 3rem;color:#212529}
h1{font-size:1.25rem;margin:1.2rem 0 .4rem;word-break:break-all}
h2{font-size:1.1rem;border-bottom:1px solid #dee2e6;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin-top:1.4rem}
.verdict{font-size:1.6rem;font-weight:700;margin:.3rem 0}
.verdict.valid{color:#2b8a3e}.verdict.invalid{color:#c92a2a}.verdict.unknown{color:#e67700}
.verdict .exit{font-size:1rem;font-weight:400;color:#495057;margin-left:.6rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
th,td{padding:.2rem .6rem;border-bottom:1px solid #e9ecef;text-align:left;vertical-align:top}
th{background:#f8f9fa}
table.kv thead{display:none}
pre{background:#f1f3f5;padding:.6rem .8rem;overflow-x:auto;white-space:pre-wrap}
ol.anomalies>li{margin:0 0 1.4rem;padding-left:.3rem}
.atype{color:#c92a2a}
.window{font-size:12px;color:#495057;background:#f1f3f5;padding:0 .4rem;border-radius:3px}
.window.during{background:#fff3bf}
.explanation{margin:.2rem 0 .4rem;max-width:70em}
figure{margin:.6rem 0}
figure svg{max-width:100%;height:auto}
figcaption{font-size:12px;color:#495057}
"""
