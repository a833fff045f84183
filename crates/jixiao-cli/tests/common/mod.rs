//! The environment of the CLI's end-to-end tests: a temporary directory with its own
//! database and files, and the real `jixiao` binary run against them.
#![allow(dead_code)] // each test file uses a part of it

use std::path::PathBuf;
use std::process::{Command, Output};

pub const SEED: &str = include_str!("../../../../fixtures/shanghai-bigdata-center-2023.txt");

pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A fresh environment with the seed forms imported.
    pub fn with_seed() -> Env {
        let env = Env::new();
        env.import_seed();
        env
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("jixiao.db")
    }

    pub fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_jixiao"))
            .arg("--db")
            .arg(self.db())
            .args(args)
            .env_remove("JIXIAO_DB")
            .output()
            .unwrap()
    }

    /// Standard output of a command that must succeed.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// A command's JSON output and its exit code, whatever the code.
    pub fn json(&self, args: &[&str]) -> (serde_json::Value, Option<i32>) {
        let out = self.run(args);
        let v = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (v, out.status.code())
    }

    /// The JSON output of a command that must succeed.
    pub fn json_ok(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    pub fn export(&self) -> String {
        self.ok(&["export", "--format", "json"])
    }

    pub fn import_seed(&self) {
        let seed = self.file("seed.txt", SEED);
        self.ok(&["import", seed.to_str().unwrap()]);
    }

    /// The stored ID of the form with this name.
    pub fn form_id(&self, name: &str) -> String {
        let v = self.json_ok(&["export"]);
        v["forms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}
