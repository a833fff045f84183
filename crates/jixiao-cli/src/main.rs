//! `jixiao`: the command line of jixiao (绩效), performance targets of public project budgets.

mod check;
mod monitor;
mod score;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use jixiao_core::review::Severity;
use jixiao_store::{ImportOutcome, OnConflict, Store};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The seed forms, carried in the binary as demo data.
const DEMO_SEED: &[u8] = jixiao_import::SEED;

#[derive(Parser)]
#[command(
    name = "jixiao",
    version,
    about = "绩效：项目支出绩效目标的管理 / jixiao: performance targets of public project budgets",
    long_about = None
)]
struct Cli {
    /// 数据库：文件（SQLite，默认在用户数据目录）或 postgres://用户@主机:端口/库 / the database: a file (SQLite, by default in the user's data directory) or postgres://user@host:port/db
    #[arg(long, global = true, env = "JIXIAO_DB", value_name = "PATH|URL")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 导入申报表（公开文本或 JSON），整体一个事务 / import target forms (disclosure text or JSON), all in one transaction
    Import {
        /// 要导入的文件 / files to import
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// 已存在但内容不同的申报表予以替换（仅草稿或已退回的）/ replace stored forms whose content differs (drafts and returned forms only)
        #[arg(long)]
        replace: bool,
        /// 新申报表归属的实施单位（组织名称）；不写则归属名称与表上实施单位相同的组织 / the unit organisation the new forms belong to (by name); by default the one named as their implementer
        #[arg(long, value_name = "NAME")]
        unit: Option<String>,
        /// 导入后审核所用的规则配置（TOML）/ rule configuration (TOML) for the review run after import
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// 列出申报表 / list the stored forms
    List,
    /// 按官方表样显示一张申报表 / show a form laid out as the official table
    Show {
        /// 申报表 ID（可只写开头几位）/ form ID (a unique prefix is enough)
        id: String,
    },
    /// 核验申报表的审批签名：SM2 签名、本系统公钥、所签版本内容的 SM3 摘要 / verify a form's approval signatures: the SM2 signature, this installation's public key, the SM3 digest of the version signed
    Verify {
        /// 申报表 ID（可只写开头几位）/ form ID (a unique prefix is enough)
        id: String,
    },
    /// 导出全部申报表 / export every form
    Export {
        /// 导出格式 / output format
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// 输出文件（默认标准输出；xlsx 必须给出）/ output file (default: standard output; required for xlsx)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// 只导出这些申报表（ID 或其前缀；不写则全部）/ only these forms (IDs or prefixes; all when none)
        #[arg(value_name = "ID")]
        ids: Vec<String>,
    },
    /// 智能审核：按规则检查申报表（文件或已存的 ID；不写则检查全部）/ review forms by the rules (files or stored IDs; all stored forms when none is given)
    Check {
        /// 文件或申报表 ID / files or form IDs
        #[arg(value_name = "FILE|ID")]
        targets: Vec<String>,
        /// 输出格式 / output format
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// 规则配置（TOML）/ rule configuration (TOML)
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// 上年的申报表（文件或 ID），用于与上年比较 / last year's forms (files or IDs) to compare with
        #[arg(long, value_name = "FILE|ID")]
        last_year: Vec<String>,
        /// 有此级别及以上的问题时以非零状态退出 / exit non-zero when findings of this severity or worse are found
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
    },
    /// 列出审核规则 / list the review rules
    Rules,
    /// 绩效运行监控：录入一个期间的完成情况（CSV 或 JSON）并给出预警；不给文件则显示已录入的期间 / monitoring: record a period's figures (CSV or JSON) and show its warnings; without a file, show the recorded periods
    Monitor {
        /// 申报表 ID / form ID
        id: String,
        /// 期间，如 1-7月、Q2、上半年、全年 / period, e.g. 1-7月, Q2, 上半年, 全年
        #[arg(long)]
        period: Option<String>,
        /// 本期数据文件 / the period's figures
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// 预警阈值配置（TOML）/ warning thresholds (TOML)
        #[arg(long, value_name = "FILE")]
        thresholds: Option<PathBuf>,
        /// 输出格式（xlsx：绩效运行监控表工作簿）/ output format (xlsx: the 绩效运行监控表 workbook)
        #[arg(long, value_enum, default_value_t = ScoreFormat::Text)]
        format: ScoreFormat,
        /// 输出文件（xlsx 必须给出）/ output file (required for xlsx)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// 绩效自评计分：按规则计分、解释每一分并列出自评偏离 / self-evaluation: score by the rules, explain every point, list departures of self scores
    Score {
        /// 申报表 ID（不写则 --file 须自带指标和指标值）/ form ID (without it, --file must be self-contained)
        id: Option<String>,
        /// 自评数据（JSON）/ the self-evaluation (JSON)
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// 计分方案 / scoring scheme (national, budget10-indicators90, reverse-ratio, bands-80-50, or one from --schemes)
        #[arg(long)]
        scheme: Option<String>,
        /// 计分方案配置（TOML，[[scheme]]）/ scheme configuration (TOML, [[scheme]])
        #[arg(long, value_name = "FILE")]
        schemes: Option<PathBuf>,
        /// 输出格式 / output format
        #[arg(long, value_enum, default_value_t = ScoreFormat::Text)]
        format: ScoreFormat,
        /// 输出文件（xlsx 必须给出）/ output file (required for xlsx)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// 复制为新年度：上年的申报表成为新年度的草稿（同一单位）/ copy a form into a draft of another year (same unit)
    Copy {
        /// 申报表 ID / form ID
        id: String,
        /// 新年度 / the new year
        #[arg(long)]
        year: i32,
    },
    /// 空白模板：带下拉列表和填写说明的申报表或自评表工作簿 / a blank workbook template with drop-down lists and notes
    Template {
        /// 输出文件 / output file
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// 模板种类 / which template
        #[arg(long, value_enum, default_value_t = TemplateKindArg::TargetForm)]
        kind: TemplateKindArg,
    },
    /// 启动网页服务和 JSON API / start the web server and the JSON API
    Serve {
        /// 监听地址 / listening address
        #[arg(long, env = "JIXIAO_BIND", value_name = "ADDR:PORT")]
        bind: Option<String>,
        /// 演示模式：新建内嵌数据库，载入示例申报表、组织和账户 / demo mode: a fresh embedded database with the seed forms, organisation and accounts
        #[arg(long)]
        demo: bool,
        /// 演示账户的密码 / the demo accounts' password
        #[arg(long, env = "JIXIAO_DEMO_PASSWORD", default_value = jixiao_web::demo::DEMO_PASSWORD)]
        demo_password: String,
        /// 配置文件（TOML）/ configuration file (TOML)
        #[arg(long, env = "JIXIAO_CONFIG", value_name = "FILE")]
        config: Option<PathBuf>,
        /// 会话 Cookie 加 Secure（HTTPS 之后）/ mark the session cookie Secure (behind HTTPS)
        #[arg(long, env = "JIXIAO_SECURE_COOKIES")]
        secure_cookies: bool,
        /// 会话有效分钟数 / session lifetime in minutes
        #[arg(long, env = "JIXIAO_SESSION_MINUTES")]
        session_minutes: Option<i64>,
    },
    /// 用户管理（部署时建立第一个管理员）/ users (bootstrap the first administrator of a deployment)
    #[command(subcommand)]
    User(UserCommand),
    /// 组织管理 / organisations
    #[command(subcommand)]
    Org(OrgCommand),
    /// 审计日志 / the audit log
    #[command(subcommand)]
    Audit(AuditCommand),
    /// 数据库 / the database
    #[command(subcommand)]
    Db(DbCommand),
    /// 载入示例数据（上海市大数据中心 2023 年 8 张申报表）并列出 / load the demo data (8 forms of the Shanghai Big Data Center, 2023) and list it
    Demo,
}

#[derive(Subcommand)]
enum UserCommand {
    /// 新建用户；密码取自环境变量 JIXIAO_PASSWORD 或标准输入 / add a user; the password comes from JIXIAO_PASSWORD or standard input
    Add {
        username: String,
        /// unit | department | finance | admin | security | audit_admin | auditor（服务器上直接建立任何角色，不经审批 / on the server any role is created directly, without approval）
        #[arg(long)]
        role: String,
        /// 所属组织名称 / the organisation's name
        #[arg(long)]
        org: Option<String>,
        /// 显示名 / display name
        #[arg(long)]
        name: Option<String>,
    },
    /// 列出用户 / list users
    List,
}

#[derive(Subcommand)]
enum DbCommand {
    /// 整体复制一套系统的数据（SQLite ↔ PostgreSQL）到空数据库，逐表核对行数和校验值后才提交；会话除外 / copy a whole installation (SQLite ↔ PostgreSQL) into an empty database, committed only once every table's row count and checksum match; sessions excepted
    Copy {
        /// 源：文件或 postgres:// URL / the source: a file or a postgres:// URL
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// 目标（空的或新的）/ the target (empty or new)
        #[arg(long, value_name = "PATH|URL")]
        to: String,
    },
    /// 每张表的行数和校验值（与 copy 所核对的相同），用于比对备份 / every table's row count and checksum (those copy compares), to compare backups
    Checksum,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// 核验审计日志的 HMAC-SM3 链：被改动、删除、插入或调换顺序的条目都会被发现；有问题时退出码非零并指出第一条 / check the audit log's HMAC-SM3 chain: an entry edited, deleted, inserted or moved is found; exits non-zero naming the first bad entry
    Verify,
    /// 导出审计日志（CSV，含链校验值）并用 SM2 签名（FILE.sig）/ export the audit log (CSV, with its chain links) signed with SM2 (FILE.sig)
    Export {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// 核对导出文件的 SM2 签名是本系统的签名密钥所签 / check that an export's SM2 signature is this installation's
    CheckExport {
        /// 导出的 CSV 文件 / the exported CSV file
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// 新建组织 / add an organisation
    Add {
        name: String,
        /// unit | department | finance
        #[arg(long)]
        kind: String,
        /// 上级组织名称 / the parent organisation's name
        #[arg(long)]
        parent: Option<String>,
    },
    /// 列出组织 / list organisations
    List,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// 交换格式 JSON / the JSON exchange format
    Json,
    /// Excel 工作簿，每张申报表一页，官方版式 / an Excel workbook, a sheet per form in the official layout
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TemplateKindArg {
    /// 项目支出绩效目标申报表
    TargetForm,
    /// 项目支出绩效自评表
    SelfEvaluation,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ScoreFormat {
    /// 终端表格 / a table in the terminal
    Text,
    /// JSON
    Json,
    /// 自评表工作簿（财预〔2020〕10号版式）/ the 自评表 as a workbook in the official layout
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Error,
    Warning,
    Hint,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<jixiao_core::review::Severity> {
        use jixiao_core::review::Severity;
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Hint => Some(Severity::Hint),
            FailOn::Never => None,
        }
    }
}

/// Findings at or above `--fail-on`: the command's report is printed, and it exits 1.
#[derive(Debug)]
struct ChecksFailed(usize);

impl std::fmt::Display for ChecksFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "审核发现 {} 个达到阈值的问题 / the review found {} finding(s) at or above the threshold", self.0, self.0)
    }
}

impl std::error::Error for ChecksFailed {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("错误 / error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<ChecksFailed>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn db_path(cli_db: Option<PathBuf>, demo: bool) -> Result<PathBuf> {
    if let Some(p) = cli_db {
        return Ok(p);
    }
    let dir = dirs::data_dir()
        .context(
            "找不到用户数据目录，请用 --db 指定数据库 / no user data directory: give --db PATH",
        )?
        .join("jixiao");
    Ok(dir.join(if demo { "demo.db" } else { "jixiao.db" }))
}

/// Who runs the command: the operating-system user, as the audit log names CLI changes.
fn os_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

/// The audit key of the database this process opened (see [`audit_key`]).
static AUDIT_KEY: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// A secret kept outside the database: the hexadecimal in `env_hex`, or the file `env_file`
/// names, or else the file beside the database with extension `ext` (`jixiao.audit-key` for
/// `jixiao.db`), made from `fresh` and readable by its owner only the first time.
fn key_file(
    db: &Path,
    env_hex: &str,
    env_file: &str,
    ext: &str,
    min_len: usize,
    fresh: impl Fn() -> Vec<u8>,
) -> Result<Vec<u8>> {
    let parse = |text: &str, whence: &str| -> Result<Vec<u8>> {
        jixiao_core::crypto::from_hex(text)
            .filter(|k| k.len() >= min_len)
            .with_context(|| format!("{whence} 须为至少 {} 位十六进制 / {whence} must be at least {} hexadecimal digits", min_len * 2, min_len * 2))
    };
    if let Ok(k) = std::env::var(env_hex) {
        return parse(&k, env_hex);
    }
    let (file, given) = match std::env::var_os(env_file) {
        Some(p) => (PathBuf::from(p), true),
        // A database server has no "beside": every app server must be given the same key.
        None if db.to_str().is_some_and(jixiao_store::is_postgres) => bail!(
            "PostgreSQL 数据库的密钥须由 {env_hex} 或 {env_file} 给出（各应用服务器相同）/ with PostgreSQL, give the key in {env_hex} or {env_file} (the same on every app server)"
        ),
        None => (db.with_extension(ext), false),
    };
    match std::fs::read_to_string(&file) {
        Ok(text) => parse(&text, &file.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !given => {
            let key = fresh();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&file).with_context(|| {
                format!(
                    "无法创建密钥文件 / cannot create the key file {}",
                    file.display()
                )
            })?;
            std::io::Write::write_all(&mut f, jixiao_core::crypto::hex(&key).as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(anyhow::anyhow!(
            "无法读取密钥文件 / cannot read the key file {}: {e}",
            file.display()
        )),
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    std::iter::repeat_with(|| uuid::Uuid::new_v4().as_bytes().to_vec())
        .flatten()
        .take(n)
        .collect()
}

/// The key of the audit log's HMAC-SM3 chain: `JIXIAO_AUDIT_KEY`, `JIXIAO_AUDIT_KEY_FILE`, or
/// `jixiao.audit-key` beside the database.
fn audit_key(db: &Path) -> Result<Vec<u8>> {
    key_file(
        db,
        "JIXIAO_AUDIT_KEY",
        "JIXIAO_AUDIT_KEY_FILE",
        "audit-key",
        16,
        || random_bytes(32),
    )
}

/// The SM2 secret key that signs exports: `JIXIAO_SIGNING_KEY`, `JIXIAO_SIGNING_KEY_FILE`, or
/// `jixiao.signing-key` beside the database.
fn signing_key(db: &Path) -> Result<[u8; 32]> {
    use jixiao_core::crypto::Crypto;
    let key = key_file(
        db,
        "JIXIAO_SIGNING_KEY",
        "JIXIAO_SIGNING_KEY_FILE",
        "signing-key",
        32,
        || loop {
            // A random scalar; the rare one that is no key (0, or not below the order) is drawn again.
            let k = random_bytes(32);
            if let Ok(a) = <[u8; 32]>::try_from(k.as_slice()) {
                if jixiao_core::crypto::Software.sm2_public(&a).is_some() {
                    return k;
                }
            }
        },
    )?;
    let key: [u8; 32] = key
        .get(..32)
        .and_then(|k| k.try_into().ok())
        .context("签名密钥须为 32 字节 / the signing key must be 32 bytes")?;
    jixiao_core::crypto::Software
        .sm2_public(&key)
        .context("签名密钥不是有效的 SM2 私钥 / the signing key is not a valid SM2 secret key")?;
    Ok(key)
}

/// The installation's key for approval signatures: the same secret as [`signing_key`].
fn approval_key(db: &Path) -> Result<jixiao_core::signature::SigningKey> {
    jixiao_core::signature::SigningKey::new(&jixiao_core::crypto::Software, signing_key(db)?)
        .context("签名密钥不是有效的 SM2 私钥 / the signing key is not a valid SM2 secret key")
}

/// `jixiao verify`: every approval and publication of a form and its signature, each check
/// printed; an error naming the first bad signature. Approvals from before signing began
/// (before the installation's first signature) are reported as unsigned, not as errors.
async fn verify_signatures(store: &dyn Store, prefix: &str, ours: &[u8]) -> Result<()> {
    use jixiao_core::crypto::hex;
    use jixiao_core::workflow::Action;
    let id = store.resolve(prefix).await?;
    let form = store
        .get(&id)
        .await?
        .with_context(|| format!("找不到申报表 / no form {id}"))?;
    let transitions = store.transitions(&id).await?;
    let signatures = store.signatures(&id).await?;
    let since = store.signatures_since().await?;
    println!(
        "申报表“{}”（ID {id}）/ form “{}” (ID {id})",
        form.name, form.name
    );
    println!("本系统公钥 / this installation's public key: {}", hex(ours));
    let mut first_bad: Option<String> = None;
    let (mut good, mut unsigned) = (0usize, 0usize);
    let decisions: Vec<_> = transitions
        .iter()
        .filter(|t| matches!(t.action, Action::Approve | Action::Publish))
        .collect();
    for t in &decisions {
        println!(
            "第 {} 版{}（{}，{}）/ version {} {} by {} at {}",
            t.version,
            t.action.chinese(),
            t.actor,
            t.at,
            t.version,
            t.action.name(),
            t.actor,
            t.at
        );
        let Some((n, sig)) = signatures.iter().enumerate().find(|(_, s)| s.seq == t.seq) else {
            if since.is_some_and(|first| t.seq > first) {
                println!("  无签名，而签名早已启用：签名缺失 / no signature, though signing had begun: it is missing");
                first_bad.get_or_insert(format!(
                    "第 {} 版{}（{}，{}）没有签名，而此前已有签名的审批：签名被删除 / version {} {} by {} at {} has no signature although approvals before it were signed: a signature was deleted",
                    t.version, t.action.chinese(), t.actor, t.at, t.version, t.action.name(), t.actor, t.at
                ));
            } else {
                println!(
                    "  无签名（启用签名前的审批）/ no signature (approved before signing began)"
                );
                unsigned += 1;
            }
            continue;
        };
        let n = n + 1;
        let check = jixiao_store::check_signature(store, sig, ours).await?;
        let yes_no = |ok: bool, zh: &str, en: &str, bad_zh: &str, bad_en: &str| {
            if ok {
                format!("{zh} / {en}")
            } else {
                format!("{bad_zh} / {bad_en}")
            }
        };
        println!("  第 {n} 个签名 / signature {n}");
        println!(
            "  签名文本 / signed text: {}",
            yes_no(
                check.signed.is_some(),
                "可读，属于本表",
                "reads, names this form",
                "无法读取或不属于本表",
                "does not read, or names another form"
            )
        );
        println!(
            "  SM2 签名 / SM2 signature: {}",
            yes_no(check.signature_valid, "有效", "valid", "无效", "INVALID")
        );
        println!(
            "  公钥 / public key: {}",
            if check.key_ours {
                "本系统的 / this installation's".to_string()
            } else {
                format!("不是本系统的 / NOT this installation's: {}", sig.public_key)
            }
        );
        let version = check.signed.as_ref().map_or(t.version, |s| s.version);
        println!(
            "  内容 / content: {}",
            match check.content_unchanged {
                Some(true) => format!("第 {version} 版的 SM3 摘要一致 / version {version} matches its SM3 digest"),
                Some(false) => format!("第 {version} 版已改动，SM3 摘要不符 / version {version} CHANGED: its SM3 digest differs"),
                None => format!("无法核对（第 {version} 版不在数据库中或文本无法读取）/ cannot be checked (version {version} not stored, or the text does not read)"),
            }
        );
        // The workflow record agrees with what was signed (who, when, which version).
        let record = check.signed.as_ref().is_some_and(|s| {
            s.version == t.version
                && s.action == t.action.name()
                && s.signer == t.actor
                && s.time == t.at
        });
        println!(
            "  流程记录 / workflow record: {}",
            yes_no(
                record,
                "与签名文本一致",
                "agrees with the signed text",
                "与签名文本不符",
                "DIFFERS from the signed text"
            )
        );
        let problem = check.problem().or((!record).then_some((
            "流程记录（版本、操作、操作人或时间）与签名文本不符",
            "the workflow record (version, action, actor or time) differs from the signed text",
        )));
        match problem {
            None => good += 1,
            Some((zh, en)) => {
                first_bad.get_or_insert(format!(
                    "第 {n} 个签名（第 {} 版{}，{}，{}）不符：{zh} / signature {n} (version {} {} by {} at {}) fails: {en}",
                    t.version, t.action.chinese(), t.actor, t.at, t.version, t.action.name(), t.actor, t.at
                ));
            }
        }
    }
    // A signature of no approval or publication of this form.
    for (n, sig) in signatures.iter().enumerate() {
        if !decisions.iter().any(|t| t.seq == sig.seq) {
            let n = n + 1;
            println!("第 {n} 个签名不对应本表的审批记录 / signature {n} belongs to no approval of this form");
            first_bad.get_or_insert(format!(
                "第 {n} 个签名不对应本表的任何审批记录 / signature {n} belongs to no approval or publication of this form"
            ));
        }
    }
    if let Some(bad) = first_bad {
        bail!("{bad}");
    }
    if decisions.is_empty() {
        println!("本表尚无审核通过或公开的记录，没有要核验的签名 / the form has no approval or publication: no signature to verify");
    } else {
        println!(
            "签名全部有效：{good} 个签名核验通过，{unsigned} 次审批无签名（启用签名前）/ all signatures valid: {good} verified, {unsigned} approval(s) unsigned (before signing began)"
        );
    }
    Ok(())
}

/// The signer identity of jixiao's export signatures (SM2's ZA).
const SIGNER_ID: &str = "jixiao-audit";

/// An audit entry of the command line: the OS user as actor (`os:NAME`), `cli` as address.
fn cli_entry(action: &str, target: &str, detail: &str) -> jixiao_store::AuditEntry {
    jixiao_store::AuditEntry {
        seq: 0,
        at: String::new(), // the store stamps it
        actor: format!("os:{}", os_user()),
        ip: "cli".into(),
        action: action.into(),
        target: target.into(),
        detail: detail.into(),
    }
}

fn loaded_audit_key() -> Result<&'static [u8]> {
    Ok(AUDIT_KEY
        .get()
        .context("审计密钥未载入 / the audit key is not loaded")?)
}

/// Records something done from the command line that changed nothing (an export).
async fn cli_audit(store: &dyn Store, action: &str, target: &str, detail: &str) -> Result<()> {
    store
        .audit(&cli_entry(action, target, detail), loaded_audit_key()?)
        .await?;
    Ok(())
}

/// Makes a change from the command line with its audit entry in the change's transaction
/// ([`jixiao_store::audited`]); an empty target takes the ID the change created. When the work
/// succeeds without writing, the entry is recorded on its own.
async fn cli_audited<T, E: Into<anyhow::Error>>(
    store: &dyn Store,
    action: &str,
    target: &str,
    detail: &str,
    work: impl std::future::Future<Output = std::result::Result<T, E>>,
) -> Result<std::result::Result<T, E>> {
    let key = loaded_audit_key()?;
    let (out, left) = jixiao_store::audited(cli_entry(action, target, detail), key, work).await;
    if let (Ok(_), Some(e)) = (&out, left) {
        store.audit(&e, key).await?;
    }
    Ok(out)
}

async fn open_store(path: &Path) -> Result<Box<dyn Store>> {
    let postgres = path.to_str().is_some_and(jixiao_store::is_postgres);
    if let Some(dir) = path
        .parent()
        .filter(|d| !postgres && !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("无法创建目录 / cannot create {}", dir.display()))?;
    }
    let location = path
        .to_str()
        .context("数据库路径不是有效文字 / the database path is not valid text")?;
    if AUDIT_KEY.get().is_none() {
        let _ = AUDIT_KEY.set(audit_key(path)?);
    }
    jixiao_store::open(location).await.with_context(|| {
        format!(
            "无法打开数据库 / cannot open the database {}",
            jixiao_store::redacted(location)
        )
    })
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Import {
            files,
            replace,
            unit,
            rules,
        } => {
            let on_conflict = if replace {
                OnConflict::Replace
            } else {
                OnConflict::Refuse
            };
            let rules = check::rule_set(rules.as_deref())?;
            import(
                &db_path(cli.db, false)?,
                &files,
                on_conflict,
                unit.as_deref(),
                &rules,
            )
            .await
        }
        Command::List => list(&*open_store(&db_path(cli.db, false)?).await?).await,
        Command::Show { id } => {
            let store = open_store(&db_path(cli.db, false)?).await?;
            let id = store.resolve(&id).await?;
            let form = store
                .get(&id)
                .await?
                .with_context(|| format!("找不到申报表 / no form {id}"))?;
            println!("ID {id}");
            print!("{}", jixiao_export::form_table(&form, terminal_width()));
            Ok(())
        }
        Command::Verify { id } => {
            let db = db_path(cli.db, false)?;
            let store = open_store(&db).await?;
            let key = approval_key(&db)?;
            verify_signatures(&*store, &id, key.public()).await
        }
        Command::Export { format, out, ids } => {
            let store = open_store(&db_path(cli.db, false)?).await?;
            let forms = if ids.is_empty() {
                store.all().await?
            } else {
                let mut forms = Vec::with_capacity(ids.len());
                for id in &ids {
                    let id = store.resolve(id).await?;
                    forms.push(
                        store
                            .get(&id)
                            .await?
                            .with_context(|| format!("找不到申报表 / no form {id}"))?,
                    );
                }
                forms
            };
            let bytes = match format {
                Format::Json => jixiao_export::to_json(&forms).into_bytes(),
                Format::Xlsx => {
                    if out.is_none() {
                        bail!(
                            "导出 xlsx 请用 --out 指定文件 / give the workbook a file with --out"
                        );
                    }
                    jixiao_export::forms_xlsx(&forms).map_err(|e| {
                        anyhow::anyhow!("无法生成工作簿 / cannot write the workbook: {e}")
                    })?
                }
            };
            match out {
                Some(path) => write_atomically(&path, &bytes),
                None => {
                    std::io::stdout().write_all(&bytes)?;
                    Ok(())
                }
            }
        }
        Command::Check {
            targets,
            format,
            rules,
            last_year,
            fail_on,
        } => {
            let rules = check::rule_set(rules.as_deref())?;
            let db = db_path(cli.db, false)?;
            // A database is opened only when IDs are named, or nothing is: checking files
            // does not create one.
            let needs_store = targets.is_empty()
                || targets
                    .iter()
                    .chain(&last_year)
                    .any(|t| !Path::new(t).exists());
            let store = if needs_store || db.exists() {
                Some(open_store(&db).await?)
            } else {
                None
            };
            let subjects = gather(&targets, store.as_deref()).await?;
            // Only the forms named with --last-year: `gather` of nothing means every stored form,
            // and last year's stored form is found (with its actuals) by the review itself.
            let history: Vec<_> = if last_year.is_empty() {
                vec![]
            } else {
                gather(&last_year, store.as_deref())
                    .await?
                    .into_iter()
                    .map(|s| s.form)
                    .collect()
            };
            let findings = check::review_all(&subjects, &history, store.as_deref(), &rules).await?;
            if let Some(store) = &store {
                for (s, f) in subjects.iter().zip(&findings) {
                    if let Some(id) = &s.stored_id {
                        store.save_findings(id, f).await?;
                    }
                }
            }
            match format {
                CheckFormat::Text => print!("{}", check::text(&subjects, &findings)),
                CheckFormat::Json => print!("{}", check::json(&subjects, &findings)),
            }
            if let Some(threshold) = fail_on.threshold() {
                let n = findings
                    .iter()
                    .flatten()
                    .filter(|f| f.severity >= threshold)
                    .count();
                if n > 0 {
                    return Err(ChecksFailed(n).into());
                }
            }
            Ok(())
        }
        Command::Monitor {
            id,
            period,
            out,
            file,
            thresholds,
            format,
        } => {
            let store = open_store(&db_path(cli.db, false)?).await?;
            let id = store.resolve(&id).await?;
            let form = store
                .get(&id)
                .await?
                .with_context(|| format!("找不到申报表 / no form {id}"))?;
            let thresholds = monitor::thresholds(thresholds.as_deref())?;
            if let Some(file) = file {
                let label = period
                    .clone()
                    .context("录入数据需要 --period / recording figures needs --period")?;
                let period = jixiao_core::monitor::Period::parse(&label)
                    .with_context(|| format!("无法识别期间“{label}”（如 1-7月、Q2、上半年、全年）/ unknown period “{label}” (e.g. 1-7月, Q2, 上半年, 全年)"))?;
                let report = monitor::read(&form, period, &file)?;
                jixiao_core::monitor::validate(&form, &report)?;
                // The light kept for the portfolio is the default thresholds', as the server's.
                let warnings = jixiao_core::monitor::warnings(
                    &form,
                    &report,
                    &jixiao_core::monitor::Thresholds::default(),
                )?;
                cli_audited(
                    &*store,
                    "monitoring_save",
                    &id,
                    &label,
                    store.save_period(&id, &report, &jixiao_store::PeriodWarnings::of(&warnings)),
                )
                .await??;
            }
            let mut reports = vec![];
            for r in store.periods(&id).await? {
                if period.as_deref().is_none_or(|p| p.trim() == r.period.label) {
                    let w = jixiao_core::monitor::warnings(&form, &r, &thresholds)?;
                    reports.push((r, w));
                }
            }
            match format {
                ScoreFormat::Text => print!("{}", monitor::text(&form, &reports)),
                ScoreFormat::Json => {
                    let v: Vec<_> = reports
                        .iter()
                        .map(|(r, w)| serde_json::json!({"report": r, "warnings": w}))
                        .collect();
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&serde_json::json!({ "periods": v }))?
                    );
                }
                ScoreFormat::Xlsx => {
                    let out = out.context(
                        "导出 xlsx 请用 --out 指定文件 / give the workbook a file with --out",
                    )?;
                    let bytes = jixiao_export::monitoring_xlsx(&form, &reports).map_err(|e| {
                        anyhow::anyhow!("无法生成工作簿 / cannot write the workbook: {e}")
                    })?;
                    write_atomically(&out, &bytes)?;
                }
            }
            Ok(())
        }
        Command::Score {
            id,
            file,
            scheme,
            schemes,
            format,
            out,
        } => {
            let scheme = score::scheme(scheme.as_deref(), schemes.as_deref())?;
            if format == ScoreFormat::Xlsx && out.is_none() {
                bail!("导出 xlsx 请用 --out 指定文件 / give the workbook a file with --out");
            }
            let (form, eval) = match (id, file) {
                (None, None) => bail!("请给出申报表 ID 或 --file / give a form ID or --file"),
                (None, Some(file)) => {
                    // A self-contained file: JSON, or published text with one or more tables.
                    let tables = score::read_tables(&file)?;
                    let mut objects = vec![];
                    let mut books = vec![];
                    for t in &tables {
                        for w in &t.warnings {
                            eprintln!("警告 / warning: {w}");
                        }
                        let scored =
                            jixiao_core::score::score(&t.eval.to_evaluation(None)?, &scheme)
                                .with_context(|| {
                                    t.table.as_ref().map(|x| x.name.clone()).unwrap_or_default()
                                })?;
                        match format {
                            ScoreFormat::Text => {
                                if let Some(x) = &t.table {
                                    println!("{}（{}）", x.name, x.implementer);
                                }
                                print!("{}", score::text(None, &t.eval, &scored, terminal_width()));
                            }
                            ScoreFormat::Json => objects.push(score::table_json(t, &scored)?),
                            ScoreFormat::Xlsx => {
                                let head = match &t.table {
                                    Some(x) => jixiao_export::SelfHeader {
                                        year: x.year,
                                        name: x.name.clone(),
                                        department: x.department.clone(),
                                        implementer: x.implementer.clone(),
                                        goal_expected: x.goal_expected.clone(),
                                        goal_actual: x.goal_actual.clone(),
                                    },
                                    None => jixiao_export::SelfHeader::default(),
                                };
                                books.push((head, scored));
                            }
                        }
                    }
                    if let (ScoreFormat::Xlsx, Some(out)) = (format, &out) {
                        let tables: Vec<_> = books
                            .iter()
                            .zip(&tables)
                            .map(|((h, s), t)| (h.clone(), &t.eval, s))
                            .collect();
                        let bytes = jixiao_export::self_evaluations_xlsx(&tables).map_err(|e| {
                            anyhow::anyhow!("无法生成工作簿 / cannot write the workbook: {e}")
                        })?;
                        return write_atomically(out, &bytes);
                    }
                    if format == ScoreFormat::Json {
                        let v = if objects.len() == 1 {
                            objects.remove(0)
                        } else {
                            serde_json::json!({ "tables": objects })
                        };
                        println!("{}", serde_json::to_string_pretty(&v)?);
                    }
                    return Ok(());
                }
                (Some(id), file) => {
                    let store = open_store(&db_path(cli.db, false)?).await?;
                    let id = store.resolve(&id).await?;
                    let form = store
                        .get(&id)
                        .await?
                        .with_context(|| format!("找不到申报表 / no form {id}"))?;
                    let eval = match file {
                        Some(file) => {
                            let eval = score::read_file(&file)?;
                            // Check it fully before keeping it; the grade kept for the portfolio
                            // is the national scheme's, as the server's.
                            jixiao_core::score::score(&eval.to_evaluation(Some(&form))?, &scheme)?;
                            let graded = jixiao_core::score::score(
                                &eval.to_evaluation(Some(&form))?,
                                &jixiao_core::score::Scheme::national(),
                            )?;
                            cli_audited(
                                &*store,
                                "self_evaluation_save",
                                &id,
                                "",
                                store.save_self_evaluation(
                                    &id,
                                    &eval,
                                    Some(graded.grade.chinese()),
                                ),
                            )
                            .await??;
                            eval
                        }
                        None => match store.self_evaluation(&id).await? {
                            Some(e) => e,
                            None => {
                                let year_end = store
                                    .periods(&id)
                                    .await?
                                    .into_iter()
                                    .rev()
                                    .find(|p| p.period.end_month == 12);
                                year_end.as_ref().and_then(|r| score::from_monitoring(&form, r)).context(
                                    "这张申报表还没有自评数据或全年监控数据；用 --file 录入 / this form has no self-evaluation nor year-end monitoring figures: record one with --file",
                                )?
                            }
                        },
                    };
                    (Some(form), eval)
                }
            };
            let scored = jixiao_core::score::score(&eval.to_evaluation(form.as_ref())?, &scheme)?;
            match format {
                ScoreFormat::Text => print!(
                    "{}",
                    score::text(form.as_ref(), &eval, &scored, terminal_width())
                ),
                ScoreFormat::Json => println!("{}", serde_json::to_string_pretty(&scored)?),
                ScoreFormat::Xlsx => {
                    let head = form
                        .as_ref()
                        .map(|f| jixiao_export::SelfHeader {
                            year: Some(f.year),
                            name: f.name.clone(),
                            department: f.department.clone(),
                            implementer: f.implementer.clone(),
                            goal_expected: f.goal_annual.clone(),
                            goal_actual: eval.overall_actual.clone(),
                        })
                        .unwrap_or_default();
                    let bytes = jixiao_export::self_evaluations_xlsx(&[(head, &eval, &scored)])
                        .map_err(|e| {
                            anyhow::anyhow!("无法生成工作簿 / cannot write the workbook: {e}")
                        })?;
                    if let Some(out) = &out {
                        write_atomically(out, &bytes)?;
                    }
                }
            }
            Ok(())
        }
        Command::Copy { id, year } => {
            if !(2000..=2100).contains(&year) {
                bail!("年度 {year} 不在 2000–2100 之间 / the year {year} is not between 2000 and 2100");
            }
            let store = open_store(&db_path(cli.db, false)?).await?;
            let id = store.resolve(&id).await?;
            let form = store
                .get(&id)
                .await?
                .with_context(|| format!("找不到申报表 / no form {id}"))?;
            let unit = store.form_meta(&id).await?.and_then(|m| m.unit_id);
            let copy = form.copy_for_year(year);
            let actor = format!("os:{}", os_user());
            let new_id = match cli_audited(
                &*store,
                "form_copy",
                "",
                &format!("{id} → {year}"),
                store.create_form(&copy, unit.as_deref(), &actor),
            )
            .await?
            {
                Ok(id) => id,
                Err(jixiao_store::StoreError::Exists { id, .. }) => bail!(
                    "{year} 年度已有“{}”（ID {id}），未复制 / “{}” exists for {year} already (ID {id}): nothing copied",
                    form.name,
                    form.name
                ),
                Err(e) => return Err(e.into()),
            };
            println!("{new_id}");
            eprintln!(
                "已复制“{}”为 {year} 年度草稿 / copied “{}” into a draft for {year}",
                form.name, form.name
            );
            Ok(())
        }
        Command::Template { out, kind } => {
            let kind = match kind {
                TemplateKindArg::TargetForm => jixiao_export::TemplateKind::TargetForm,
                TemplateKindArg::SelfEvaluation => jixiao_export::TemplateKind::SelfEvaluation,
            };
            let bytes = jixiao_export::template_xlsx(kind, None)
                .map_err(|e| anyhow::anyhow!("无法生成模板 / cannot write the template: {e}"))?;
            write_atomically(&out, &bytes)
        }
        Command::Serve {
            bind,
            demo,
            demo_password,
            config,
            secure_cookies,
            session_minutes,
        } => {
            // Ctrl-C and SIGTERM stop the server gracefully from here on (one that comes while
            // the demo loads stops it as soon as it serves, its directory removed all the same).
            let shutdown = jixiao_web::shutdown_signal();
            let mut cfg: jixiao_web::Config = match &config {
                Some(p) => {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("无法读取 / cannot read {}", p.display()))?;
                    toml::from_str(&text).with_context(|| {
                        format!("配置有误 / invalid configuration in {}", p.display())
                    })?
                }
                None => jixiao_web::Config::default(),
            };
            if let Some(b) = bind {
                cfg.bind = b;
            }
            cfg.secure_cookies |= secure_cookies;
            if let Some(m) = session_minutes {
                cfg.session_minutes = m;
            }
            // A demo runs on a fresh database in a temporary directory, gone when it stops; or,
            // with --db, on that database, which must be empty (demo accounts never join real
            // data).
            let demo_dir = if demo && cli.db.is_none() {
                Some(
                    tempfile::tempdir()
                        .context("无法创建临时目录 / cannot create a temporary directory")?,
                )
            } else {
                None
            };
            let path = match &demo_dir {
                Some(d) => d.path().join("demo.db"),
                None => db_path(cli.db, false)?,
            };
            let store: std::sync::Arc<dyn Store> = open_store(&path).await?.into();
            // Approvals are signed with the installation's key: every server of one database
            // must have the same (given in the environment for PostgreSQL).
            let signing = approval_key(&path)?;
            if demo {
                if store.counts().await?.0 > 0 || !store.users().await?.is_empty() {
                    bail!(
                        "数据库 {} 不是空的：演示数据只载入空数据库 / the database {} is not empty: the demo loads into an empty database only",
                        jixiao_store::redacted(&path.display().to_string()),
                        jixiao_store::redacted(&path.display().to_string())
                    );
                }
                jixiao_web::demo::load(&*store, &demo_password)
                    .await
                    .map_err(|e| anyhow::anyhow!("{} / {}", e.message, e.message_en))?;
            }
            let listener = tokio::net::TcpListener::bind(&cfg.bind)
                .await
                .with_context(|| format!("无法监听 / cannot listen on {}", cfg.bind))?;
            let addr = listener.local_addr()?;
            println!("jixiao 正在服务 / serving on http://{addr}  (API: http://{addr}/api/docs)");
            if demo {
                println!(
                    "演示模式 / demo mode — 账户 / accounts: {}；密码 / password: {demo_password}",
                    jixiao_web::demo::usernames()
                );
            }
            if let Some(d) = &demo_dir {
                println!(
                    "演示数据库（停止时删除）/ demo database (deleted when stopped): {}",
                    d.path().join("demo.db").display()
                );
            }
            let key = AUDIT_KEY
                .get()
                .cloned()
                .context("审计密钥未载入 / the audit key is not loaded")?;
            let state = jixiao_web::AppState::new(
                store.clone(),
                cfg,
                jixiao_core::review::RuleSet::default(),
            )
            .with_audit_key(key)
            .with_signing_key(signing)
            .with_demo(demo);
            let served = jixiao_web::serve_until(state, listener, shutdown).await;
            // Stopped (Ctrl-C or SIGTERM): the database is closed, then a demo's directory is
            // removed, before the process exits.
            store.close().await;
            drop(store);
            if let Some(d) = demo_dir {
                let shown = d.path().display().to_string();
                d.close().with_context(|| {
                    format!("无法删除演示目录 / cannot remove the demo directory {shown}")
                })?;
            }
            served?;
            println!("jixiao 已停止 / jixiao stopped");
            Ok(())
        }
        Command::User(cmd) => {
            let store = open_store(&db_path(cli.db, false)?).await?;
            match cmd {
                UserCommand::List => {
                    for u in store.users().await? {
                        println!(
                            "{}\t{}\t{}\t{}",
                            u.username,
                            u.role.name(),
                            u.display_name,
                            u.org_id.unwrap_or_default()
                        );
                    }
                }
                UserCommand::Add {
                    username,
                    role,
                    org,
                    name,
                } => {
                    let role =
                        jixiao_core::workflow::Role::from_name(&role).with_context(|| {
                            let roles: Vec<&str> = jixiao_core::workflow::Role::ALL
                                .iter()
                                .map(|r| r.name())
                                .collect();
                            format!(
                                "未知角色“{role}”：{} / unknown role “{role}”",
                                roles.join("/")
                            )
                        })?;
                    let org_id = org_id_by_name(&*store, org.as_deref()).await?;
                    let password = match std::env::var("JIXIAO_PASSWORD") {
                        Ok(p) => p,
                        Err(_) => {
                            eprintln!("密码 / password:");
                            let mut line = String::new();
                            std::io::stdin().read_line(&mut line)?;
                            line.trim_end_matches(['\n', '\r']).to_string()
                        }
                    };
                    if let Err((zh, en)) = jixiao_core::password::check(&password, &username) {
                        bail!("{zh} / {en}");
                    }
                    let hash = jixiao_web::auth::hash_password(&password)
                        .map_err(|e| anyhow::anyhow!("{}", e.message_en))?;
                    let user = jixiao_store::User {
                        id: uuid_like(),
                        display_name: name.unwrap_or_else(|| username.clone()),
                        username,
                        role,
                        org_id,
                    };
                    // Chosen by the operator: the user changes it at the first sign-in.
                    cli_audited(
                        &*store,
                        "user_create",
                        &user.username,
                        user.role.name(),
                        store.create_user(&user, &hash, true),
                    )
                    .await??;
                    println!("已建立用户 / created user {}", user.username);
                }
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Export { out }) => {
            use jixiao_core::crypto::{hex, Crypto, Software};
            let db = db_path(cli.db, false)?;
            let store = open_store(&db).await?;
            let key = signing_key(&db)?;
            let mut csv = String::from("\u{feff}");
            csv.push_str(&jixiao_export::csv_line(&[
                "seq", "at", "actor", "ip", "action", "target", "detail", "mac",
            ]));
            let (mut last, mut n) = (0i64, 0u64);
            loop {
                let batch = store.audit_chain(last, 10_000).await?;
                if batch.is_empty() {
                    break;
                }
                for (e, mac) in batch {
                    let seq = e.seq.to_string();
                    let mac = mac.unwrap_or_default();
                    csv.push_str(&jixiao_export::csv_line(&[
                        &seq, &e.at, &e.actor, &e.ip, &e.action, &e.target, &e.detail, &mac,
                    ]));
                    last = e.seq;
                    n += 1;
                }
            }
            let signature = Software
                .sm2_sign(&key, SIGNER_ID, csv.as_bytes())
                .context("无法签名 / cannot sign")?;
            let public = Software
                .sm2_public(&key)
                .context("签名密钥无效 / invalid signing key")?;
            std::fs::write(&out, csv.as_bytes())
                .with_context(|| format!("无法写入 / cannot write {}", out.display()))?;
            let sig_path = PathBuf::from(format!("{}.sig", out.display()));
            std::fs::write(
                &sig_path,
                format!(
                    "algorithm: SM2 over SM3 (GB/T 32918), signer id {SIGNER_ID}\nsignature: {}\npublic-key: {}\n",
                    hex(&signature),
                    hex(&public)
                ),
            )?;
            cli_audit(
                &*store,
                "audit_export",
                &out.display().to_string(),
                &format!("{n} entries, signed"),
            )
            .await?;
            println!(
                "已导出 {n} 条审计记录并签名 / exported {n} audit entries, signed: {} ({})\n公钥 / public key: {}",
                out.display(),
                sig_path.display(),
                hex(&public)
            );
            Ok(())
        }
        Command::Audit(AuditCommand::CheckExport { file }) => {
            use jixiao_core::crypto::{from_hex, hex, Crypto, Software};
            let db = db_path(cli.db, false)?;
            let key = signing_key(&db)?;
            let ours = Software
                .sm2_public(&key)
                .context("签名密钥无效 / invalid signing key")?;
            let data = std::fs::read(&file)
                .with_context(|| format!("无法读取 / cannot read {}", file.display()))?;
            let sig_path = PathBuf::from(format!("{}.sig", file.display()));
            let sig_text = std::fs::read_to_string(&sig_path).with_context(|| {
                format!("没有签名文件 / no signature file {}", sig_path.display())
            })?;
            let field = |name: &str| {
                sig_text
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| from_hex(v.trim()))
            };
            let (Some(signature), Some(public)) = (field("signature:"), field("public-key:"))
            else {
                bail!(
                    "签名文件格式不对 / the signature file is not well formed: {}",
                    sig_path.display()
                );
            };
            if public != ours {
                bail!("导出文件不是本系统的签名密钥所签（公钥 {}）/ the export was not signed with this installation's key (public key {})", hex(&public), hex(&public));
            }
            if !Software.sm2_verify(&public, SIGNER_ID, &data, &signature) {
                bail!("签名不符：导出文件在签名后被改动 / the signature does not match: the export was changed after it was signed");
            }
            println!("签名有效：导出文件未被改动，为本系统所签 / the signature is valid: the export is unchanged and signed by this installation");
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open_store(&db_path(cli.db, false)?).await?;
            let key = AUDIT_KEY
                .get()
                .context("审计密钥未载入 / the audit key is not loaded")?;
            // After a purge the chain begins at its anchor: the last purged entry's link. A
            // purge is itself in the log (audit_purge, naming the anchor), so an anchor moved
            // behind the application's back is found too.
            let anchor = store.audit_anchor().await?;
            let (mut previous, mut last_seq, mut chained, mut unchained) = match &anchor {
                Some(a) => (a.mac.clone(), a.seq, 0u64, 0u64),
                None => (String::new(), 0i64, 0u64, 0u64),
            };
            let mut anchor_named = false;
            loop {
                let batch = store.audit_chain(last_seq, 10_000).await?;
                if batch.is_empty() {
                    break;
                }
                for (e, mac) in batch {
                    let Some(mac) = mac else {
                        // From before the chain began; none may follow a chained entry.
                        if chained > 0 {
                            bail!("第 {} 条审计记录没有校验值，排在已链接的记录之后：被插入或改动 / audit entry {} has no link although it follows chained entries: inserted or altered", e.seq, e.seq);
                        }
                        unchained += 1;
                        last_seq = e.seq;
                        continue;
                    };
                    let expected = e.link(key, &previous);
                    if expected != mac {
                        bail!(
                            "第 {} 条审计记录（{} {} {}）与校验链不符：它或它之前的记录被改动、删除、插入或调换，或密钥不对 / audit entry {} ({} {} {}) breaks the chain: it or one before it was edited, deleted, inserted or moved, or the key is wrong",
                            e.seq, e.at, e.actor, e.action, e.seq, e.at, e.actor, e.action
                        );
                    }
                    if e.action == "audit_purge"
                        && anchor
                            .as_ref()
                            .is_some_and(|a| e.detail.contains(&format!("anchor {}", a.seq)))
                    {
                        anchor_named = true;
                    }
                    if e.seq != last_seq + 1 && (chained > 0 || anchor.is_some()) {
                        bail!(
                            "第 {} 条之前缺少记录 / entries are missing before audit entry {}",
                            e.seq,
                            e.seq
                        );
                    }
                    previous = mac;
                    last_seq = e.seq;
                    chained += 1;
                }
            }
            if let Some(a) = &anchor {
                if !anchor_named {
                    bail!(
                        "审计日志的起点（第 {} 条之后）没有对应的清理记录：有人绕过系统删除了记录 / the log begins after entry {} but no purge in it says so: entries were deleted behind the application's back",
                        a.seq,
                        a.seq
                    );
                }
                println!(
                    "按保存期限已清理第 {} 条及之前的记录 / entries up to {} were purged past their retention",
                    a.seq, a.seq
                );
            }
            println!(
                "审计日志完整 / the audit log is intact: {chained} 条已链接 / chained{}; 链头 / head {}",
                if unchained > 0 { format!("，{unchained} 条早于校验链 / from before the chain") } else { String::new() },
                if previous.is_empty() { "-" } else { &previous[..16] }
            );
            Ok(())
        }
        Command::Org(cmd) => {
            let store = open_store(&db_path(cli.db, false)?).await?;
            match cmd {
                OrgCommand::List => {
                    for o in store.orgs().await? {
                        println!(
                            "{}\t{}\t{}\t{}",
                            o.id,
                            o.kind,
                            o.name,
                            o.parent_id.unwrap_or_default()
                        );
                    }
                }
                OrgCommand::Add { name, kind, parent } => {
                    if !["unit", "department", "finance"].contains(&kind.as_str()) {
                        bail!("组织类型须为 unit/department/finance / the kind must be unit, department or finance");
                    }
                    let parent_id = org_id_by_name(&*store, parent.as_deref()).await?;
                    let org = jixiao_store::Org {
                        id: uuid_like(),
                        name: name.clone(),
                        kind,
                        parent_id,
                    };
                    let linked =
                        cli_audited(&*store, "org_create", &name, "", store.create_org(&org))
                            .await??;
                    println!("已建立组织 / created organisation {name}（关联申报表 / forms linked: {linked}）");
                }
            }
            Ok(())
        }
        Command::Rules => {
            for r in jixiao_core::review::registry() {
                println!(
                    "{:<26} {:<8} {} / {}",
                    r.code,
                    r.severity.name(),
                    r.title,
                    r.title_en
                );
            }
            Ok(())
        }
        Command::Db(DbCommand::Copy { from, to }) => {
            println!(
                "{} → {}",
                jixiao_store::redacted(&from),
                jixiao_store::redacted(&to)
            );
            let report = jixiao_store::copy::copy(&from, &to, |t| {
                println!("  {:<24} {:>10} 行 / rows  {}", t.table, t.rows, t.checksum);
            })
            .await
            .context("复制失败，目标未写入 / the copy failed; nothing was written to the target")?;
            let rows: u64 = report.iter().map(|t| t.rows).sum();
            println!(
                "已复制并核对 / copied and checked: {} 张表 / tables, {rows} 行 / rows",
                report.len()
            );
            Ok(())
        }
        Command::Db(DbCommand::Checksum) => {
            let db = db_path(cli.db, false)?;
            let location = db
                .to_str()
                .context("数据库路径不是有效文字 / the database path is not valid text")?;
            for t in jixiao_store::copy::tally(location).await? {
                println!("{:<24} {:>10}  {}", t.table, t.rows, t.checksum);
            }
            Ok(())
        }
        Command::Demo => {
            let path = db_path(cli.db, true)?;
            let out = jixiao_import::read_disclosure(DEMO_SEED).context("示例数据 / demo data")?;
            let store = open_store(&path).await?;
            let forms: Vec<_> = out.forms.into_iter().map(|f| f.form).collect();
            let report = store.import(&forms, OnConflict::Replace).await?;
            println!(
                "示例数据库 / demo database: {}\n载入 / loaded: {} 张申报表 / forms（新建 / new {}，未变 / unchanged {}）\n",
                jixiao_store::redacted(&path.display().to_string()),
                forms.len(),
                report.count(ImportOutcome::Created),
                report.count(ImportOutcome::Unchanged)
            );
            list(&*store).await?;
            println!(
                "\n查看一张 / show one: jixiao --db {} show ID",
                jixiao_store::redacted(&path.display().to_string())
            );
            Ok(())
        }
    }
}

/// The forms that `FILE|ID` arguments name: every form of a file, or a stored form by ID
/// (prefix); with no arguments, every stored form.
async fn gather(targets: &[String], store: Option<&dyn Store>) -> Result<Vec<check::Subject>> {
    let mut out = Vec::new();
    if targets.is_empty() {
        if let Some(store) = store {
            for f in store.all().await? {
                let id = f.id.clone();
                out.push(check::Subject {
                    form: f,
                    origin: "数据库 / database".into(),
                    stored_id: id,
                });
            }
        }
        return Ok(out);
    }
    for t in targets {
        let path = Path::new(t);
        if path.exists() {
            let bytes =
                std::fs::read(path).with_context(|| format!("无法读取 / cannot read {t}"))?;
            let read = jixiao_import::read_any(&bytes).with_context(|| t.clone())?;
            // What the reader had to say (a cut, a cell that fits nowhere) goes to stderr.
            for w in read
                .warnings
                .iter()
                .chain(read.forms.iter().flat_map(|f| &f.warnings))
            {
                eprintln!("警告 / warning: {t}:{w}");
            }
            if !read.tables.is_empty() {
                eprintln!(
                    "提示 / note: {t} 中有 {} 张绩效自评表，用 jixiao score --file 计分 / holds {} self-evaluation table(s): score them with jixiao score --file",
                    read.tables.len(),
                    read.tables.len()
                );
            }
            for f in read.forms {
                let origin = if f.line > 0 {
                    format!("{t}:{}", f.line)
                } else {
                    t.clone()
                };
                out.push(check::Subject {
                    form: f.form,
                    origin,
                    stored_id: None,
                });
            }
        } else {
            let store = store.context("没有数据库 / no database")?;
            let id = store.resolve(t).await.with_context(|| {
                format!("“{t}”既不是文件也不是申报表 ID / “{t}” is neither a file nor a form ID")
            })?;
            let form = store
                .get(&id)
                .await?
                .with_context(|| format!("找不到申报表 / no form {id}"))?;
            out.push(check::Subject {
                form,
                origin: "数据库 / database".into(),
                stored_id: Some(id),
            });
        }
    }
    Ok(out)
}

/// Writes through a temporary file in the same directory, so a failure leaves no half file.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("jixiao-export")
    ));
    std::fs::write(&tmp, bytes)
        .with_context(|| format!("无法写入 / cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)
        .with_context(|| format!("无法写入 / cannot write {}", path.display()))
}

fn terminal_width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(120)
}

/// Forms handed to the store at a time: an import of any size holds about this many in
/// memory (plus the one file being read, for text and workbooks).
const IMPORT_BATCH: usize = 2000;

/// What was read of one file.
struct FileRead {
    name: String,
    forms: usize,
    indicators: usize,
    warnings: usize,
    encoding: &'static str,
}

/// Reads the files one after another on this thread and sends their forms in batches; the
/// first file that cannot be read sends its error and ends the reading. JSON (the exchange
/// format) is read form by form, whatever its size; text and workbooks a file at a time.
/// `-` is standard input.
fn read_files(
    files: &[PathBuf],
    send: &std::sync::mpsc::SyncSender<std::result::Result<Vec<jixiao_core::Form>, String>>,
) -> Vec<FileRead> {
    let mut done = vec![];
    for path in files {
        let name = path.display().to_string();
        let mut input: Box<dyn std::io::Read> = if name == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            match std::fs::File::open(path) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    let _ = send.send(Err(format!(
                        "{name}: 无法读取文件 / cannot read the file: {e}"
                    )));
                    return done;
                }
            }
        };
        // The first bytes tell JSON from the rest (a UTF-8 byte-order mark skipped).
        let mut head = vec![];
        let mut buf = [0u8; 1];
        while head.len() < 4096 {
            match input.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    head.push(buf[0]);
                    if !buf[0].is_ascii_whitespace() && !matches!(buf[0], 0xEF | 0xBB | 0xBF) {
                        break;
                    }
                }
                Err(e) => {
                    let _ = send.send(Err(format!(
                        "{name}: 无法读取文件 / cannot read the file: {e}"
                    )));
                    return done;
                }
            }
        }
        let input = std::io::Cursor::new(head.clone()).chain(input);
        if head.last() == Some(&b'{') {
            let mut batch = Vec::with_capacity(IMPORT_BATCH);
            let (mut indicators, mut stopped) = (0, false);
            let read = jixiao_import::read_json_stream(input, |form| {
                indicators += form.indicators.len();
                batch.push(form);
                if batch.len() == IMPORT_BATCH && send.send(Ok(std::mem::take(&mut batch))).is_err()
                {
                    stopped = true;
                    return Err("导入已停止 / the import stopped".into());
                }
                Ok(())
            });
            match read {
                Ok(forms) => {
                    if !batch.is_empty() && send.send(Ok(batch)).is_err() {
                        return done;
                    }
                    done.push(FileRead {
                        name,
                        forms,
                        indicators,
                        warnings: 0,
                        encoding: "UTF-8",
                    });
                }
                Err(_) if stopped => return done,
                Err(e) => {
                    let _ = send.send(Err(format!("{name}: {e}")));
                    return done;
                }
            }
            continue;
        }
        let (mut input, mut bytes) = (input, vec![]);
        if let Err(e) = input.read_to_end(&mut bytes) {
            let _ = send.send(Err(format!(
                "{name}: 无法读取文件 / cannot read the file: {e}"
            )));
            return done;
        }
        let out = match jixiao_import::read_any(&bytes)
            .and_then(|out| out.check_storable().map(|()| out))
        {
            Ok(out) => out,
            Err(e) => {
                let _ = send.send(Err(format!("{name}: {e}")));
                return done;
            }
        };
        drop(bytes);
        for w in &out.warnings {
            eprintln!("警告 / warning: {name}:{w}");
        }
        for f in &out.forms {
            for w in &f.warnings {
                eprintln!("警告 / warning: {name}:{w}");
            }
        }
        done.push(FileRead {
            name,
            forms: out.forms.len(),
            indicators: out.indicator_count(),
            warnings: out.warning_count(),
            encoding: out.encoding,
        });
        let forms: Vec<jixiao_core::Form> = out.forms.into_iter().map(|f| f.form).collect();
        for chunk in forms.chunks(IMPORT_BATCH) {
            if send.send(Ok(chunk.to_vec())).is_err() {
                return done;
            }
        }
    }
    done
}

async fn import(
    db: &Path,
    files: &[PathBuf],
    on_conflict: OnConflict,
    unit: Option<&str>,
    rules: &jixiao_core::review::RuleSet,
) -> Result<()> {
    // A file that cannot even be opened stops the import before the database is touched.
    for path in files.iter().filter(|p| p.as_os_str() != "-") {
        std::fs::File::open(path).with_context(|| {
            format!(
                "{}: 无法读取文件，未导入任何内容 / cannot read the file; nothing was imported",
                path.display()
            )
        })?;
    }
    let store = open_store(db).await?;
    let owner = match unit {
        Some(name) => Some(
            store
                .orgs()
                .await?
                .into_iter()
                .find(|o| o.name == name.trim())
                .filter(|o| o.kind == "unit")
                .with_context(|| {
                    format!("没有名为“{name}”的实施单位（jixiao org list 列出组织）/ no unit organisation named “{name}” (jixiao org list shows them)")
                })?
                .id,
        ),
        None => None,
    };
    // The files are read on their own thread while the store writes what was read, all in
    // one transaction: a file that cannot be read, or a form that cannot be stored, ends the
    // import with nothing written. Memory holds a couple of batches, not the whole import.
    let (send, receive) = std::sync::mpsc::sync_channel(2);
    let paths = files.to_vec();
    let reader = std::thread::spawn(move || read_files(&paths, &send));
    // Review what was created or changed, batch by batch. The findings are kept with the
    // form's version when the form is checked (jixiao check, or the web app), not here: a
    // bulk import stays fast.
    let (mut errors, mut warns, mut hints, mut changed, mut indicators) = (0, 0, 0, 0, 0);
    let mut batches = receive.into_iter();
    // The audit entry is written in the import's transaction, with the counts it made.
    let target = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let detail = unit.map(|u| format!("unit {u}")).unwrap_or_default();
    let counts = cli_audited(
        &*store,
        "forms_import",
        &target,
        &detail,
        store.import_batches(
            &mut batches,
            on_conflict,
            owner.as_deref(),
            &mut |forms, outcomes| {
                for (form, (_, outcome)) in forms.iter().zip(outcomes) {
                    indicators += form.indicators.len();
                    if *outcome == ImportOutcome::Unchanged {
                        continue;
                    }
                    changed += 1;
                    for x in jixiao_core::review::review(form, None, rules) {
                        match x.severity {
                            Severity::Error => errors += 1,
                            Severity::Warning => warns += 1,
                            Severity::Hint => hints += 1,
                        }
                    }
                }
            },
        ),
    )
    .await?;
    drop(batches);
    let read = reader
        .join()
        .map_err(|_| anyhow::anyhow!("读取线程出错 / the reading thread failed"))?;
    let counts = match counts {
        Ok(c) => c,
        Err(jixiao_store::StoreError::Input(message)) => {
            bail!("{message}\n未导入任何内容 / nothing was imported")
        }
        Err(e) => return Err(e.into()),
    };
    for f in &read {
        println!(
            "{}: {} 张申报表 / forms, {} 个指标 / indicators, {} 条警告 / warnings ({})",
            f.name, f.forms, f.indicators, f.warnings, f.encoding
        );
    }
    let warnings: usize = read.iter().map(|f| f.warnings).sum();
    println!(
        "合计 / total: {} 张申报表 / forms（新建 / new {}，替换 / replaced {}，未变 / unchanged {}），{} 个指标 / indicators，{} 条警告 / warnings",
        counts.created + counts.replaced + counts.unchanged,
        counts.created,
        counts.replaced,
        counts.unchanged,
        indicators,
        warnings
    );
    if changed > 0 {
        println!(
            "审核 / review: {} 个错误 / errors，{} 个警告 / warnings，{} 个提示 / hints（jixiao check 查看 / see jixiao check）",
            errors, warns, hints
        );
    }
    Ok(())
}

async fn list(store: &dyn Store) -> Result<()> {
    let forms = store.list().await?;
    if forms.is_empty() {
        println!("（没有申报表 / no forms）");
        return Ok(());
    }
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_HORIZONTAL_ONLY)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(terminal_width())
        .set_header(vec![
            "ID",
            "年度",
            "项目名称",
            "实施单位",
            "年度资金（元）",
            "指标数",
        ]);
    let short = short_ids(&forms.iter().map(|f| f.id.as_str()).collect::<Vec<_>>());
    for (f, id) in forms.iter().zip(short) {
        t.add_row(vec![
            id,
            f.year.to_string(),
            f.name.clone(),
            f.implementer.clone(),
            f.annual_total.map(|m| m.grouped()).unwrap_or_default(),
            f.indicators.to_string(),
        ]);
    }
    println!("{t}");
    println!("共 {} 张申报表 / {} forms", forms.len(), forms.len());
    Ok(())
}

/// The ID of the organisation with this name, if a name is given.
async fn org_id_by_name(store: &dyn Store, name: Option<&str>) -> Result<Option<String>> {
    let Some(name) = name else { return Ok(None) };
    let org = store.orgs().await?.into_iter().find(|x| x.name == name);
    Ok(Some(org.map(|x| x.id).with_context(|| {
        format!("没有组织“{name}” / no organisation “{name}”")
    })?))
}

fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The shortest prefix of each ID (at least 8 characters) that no other ID shares.
fn short_ids(ids: &[&str]) -> Vec<String> {
    let mut sorted: Vec<&str> = ids.to_vec();
    sorted.sort_unstable();
    let common = |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    ids.iter()
        .map(|id| {
            let i = sorted.binary_search(id).unwrap_or(0);
            let before = i.checked_sub(1).map_or(0, |j| common(sorted[j], id));
            let after = sorted.get(i + 1).map_or(0, |n| common(n, id));
            let len = (before.max(after) + 1).max(8).min(id.len());
            id.chars().take(len).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_ids_are_unique_prefixes() {
        let ids = ["abcdef0123", "abcdef0199", "ffff000011"];
        assert_eq!(
            super::short_ids(&ids),
            vec!["abcdef012", "abcdef019", "ffff0000"]
        );
    }
}
