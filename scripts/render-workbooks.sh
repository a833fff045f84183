#!/usr/bin/env bash
# Renders the workbooks jixiao writes to PNG, to look at them: the seed's forms, a 自评表, a
# 绩效运行监控表 and the blank templates, through LibreOffice (Debian's libreoffice-calc-nogui)
# and pdftoppm (poppler-utils). Output: artifacts/workbooks/*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v soffice >/dev/null || { echo "needs LibreOffice: apt-get install libreoffice-calc-nogui poppler-utils" >&2; exit 1; }
out=artifacts/workbooks
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo build -q -p jixiao-cli
bin=target/debug/jixiao
db="$tmp/w.db"
"$bin" --db "$db" import fixtures/shanghai-bigdata-center-2023.txt >/dev/null
"$bin" --db "$db" export --format xlsx --out "$tmp/forms.xlsx"
"$bin" score --file fixtures/real/10-yunnan-yongde-self.txt --format xlsx --out "$tmp/self-evaluation.xlsx" 2>/dev/null
id=$("$bin" --db "$db" list | awk '/管理工作经费/ {print $1; exit}')
cat > "$tmp/figures.csv" <<'CSV'
指标名称,完成值,全年预计,完成可能性,偏差类型,偏差原因,是否整改,整改建议
预算执行,15000000.00,46000000.00,,,,,
大楼、食堂场地等物业个数,4个,4个,确定能,,,,
通信设备购置厂商,0个,1个,有可能,其他,供应商资质审核未完成,是,加快采购
长效管理机制健全性,部分达成,达成,确定能,制度保障,制度修订中,否,
来访客户满意度,92,95%,确定能,,,,
CSV
"$bin" --db "$db" monitor "$id" --period 1-7月 --file "$tmp/figures.csv" >/dev/null 2>&1 || true
"$bin" --db "$db" monitor "$id" --format xlsx --out "$tmp/monitoring.xlsx" || true
"$bin" template --out "$tmp/template.xlsx"
"$bin" template --kind self-evaluation --out "$tmp/template-self.xlsx"
for f in "$tmp"/*.xlsx; do
  name=$(basename "$f" .xlsx)
  soffice --headless --convert-to pdf --outdir "$tmp" "$f" >/dev/null 2>&1
  rm -f "$out/$name"-*.png
  pdftoppm -r 70 -png -f 1 -l 2 "$tmp/$name.pdf" "$out/$name"
done
ls "$out"
