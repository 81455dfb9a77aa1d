//! The REPL an instance's command talks to, resolved from the command line: its URL (`--repl`,
//! the startup script's port, the default), its credentials, and, for a running instance, the
//! proof that the socket is its own.

use super::Context;
use crate::error::fail;
use crate::exit_code::Code;
use crate::instance::{self, Instance};
use crate::repl::credentials::{self, Credentials};
use crate::repl::{self, Repl};
use anyhow::Result;

impl Context {
    /// The REPL of an instance (checked: loopback unless `--allow-remote`): `--repl`, else
    /// the port of its startup script's `startInServerOn:`, else the default.
    pub fn repl(&self, instance: Option<&Instance>) -> Result<Repl> {
        let named = self.repl_url.is_some()
            || instance.is_some_and(|instance| instance.script_repl_port().is_some());
        let repl = Repl::new(&self.repl_url(instance), self.allow_remote)?
            .given(self.repl_url.is_some())
            .named(named);
        Ok(repl.with_credentials(self.credentials(instance)?))
    }

    /// The credentials of an instance's REPL, resolved once: `--repl-secret`, else its
    /// `NAME.repl-secret` when there is one; none without either. A secret that cannot be
    /// used (others may read it, pharo-ctl may not) is an error, never a request without it.
    pub fn credentials(&self, instance: Option<&Instance>) -> Result<Option<Credentials>> {
        let user = instance
            .and_then(Instance::script_repl_user)
            .unwrap_or_else(|| credentials::DEFAULT_USER.to_string());
        if let Some(file) = &self.repl_secret {
            return Credentials::load(file, &user).map(Some);
        }
        let Some(file) = instance.map(Instance::secret_file) else {
            return Ok(None);
        };
        match file.symlink_metadata() {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => Credentials::load(&file, &user).map(Some),
        }
    }

    /// The REPL of a running instance, whose requests go only to a socket its tree holds
    /// (looked for among the VM's listeners when the URL's is not its, unless `--repl` gave
    /// the URL).
    pub fn own_repl(&self, instance: &Instance, tree: &crate::process::tree::Tree) -> Result<Repl> {
        Ok(self.repl(Some(instance))?.owned(&instance.name, tree)?)
    }

    /// The REPL of an instance that must be running (`eval NAME`, `console NAME`): one that
    /// does not run has none, and nothing is sent anywhere (exit 7).
    pub fn running_repl(&self, instance: &Instance) -> Result<Repl> {
        let repl = self.repl(Some(instance))?;
        match crate::instance::finder::find(instance)? {
            crate::instance::finder::Found::Running { tree, .. } => {
                Ok(repl.owned(&instance.name, &tree)?)
            }
            _ => {
                let name = &instance.name;
                fail(
                    Code::ReplUnreachable,
                    format!(
                        "{name} is not running, so nothing was sent to {}: start it (pharo-ctl start {name}), or pass --repl URL without NAME to send it where you say",
                        repl.url()
                    ),
                )
            }
        }
    }

    /// The URL of [`Context::repl`], unchecked.
    pub fn repl_url(&self, instance: Option<&Instance>) -> String {
        match (
            &self.repl_url,
            instance.and_then(Instance::script_repl_port),
        ) {
            (Some(url), _) => url.clone(),
            (None, Some(port)) => format!("http://127.0.0.1:{port}/repl"),
            (None, None) => repl::DEFAULT_URL.to_string(),
        }
    }

    /// The REPL that `eval [NAME]` talks to: that of NAME, or of the instance `--image`
    /// describes, checked to be the running instance's own (`--repl` then says where to look
    /// first); else `--repl` as given; else that of the instance `--script` describes, or of
    /// the only image of the directory. Several images and none of these is a usage error:
    /// the code would run in a guessed image.
    pub fn eval_repl(&self, name: Option<&str>) -> Result<Repl> {
        let given = &self.overrides;
        if name.is_some() || given.image.is_some() {
            return self.running_repl(&self.instance(name)?);
        }
        if self.repl_url.is_some() {
            return self.repl(None);
        }
        if let Some(script) = &given.script {
            let port = std::fs::read_to_string(script)
                .ok()
                .and_then(|text| instance::repl_port_in(&text));
            let url = port.map_or(repl::DEFAULT_URL.to_string(), |port| {
                format!("http://127.0.0.1:{port}/repl")
            });
            return Ok(
                Repl::new(&url, self.allow_remote)?.with_credentials(self.credentials(None)?)
            );
        }
        match instance::list_images(&self.dir) {
            Ok(names) if names.len() > 1 => fail(
                Code::Usage,
                format!(
                    "{} holds several images ({}): say which REPL to use, e.g. `pharo-ctl eval {} EXPR`, or pass --repl",
                    self.dir.display(),
                    names.join(", "),
                    names[0]
                ),
            ),
            // The directory's one image, named as listed (not listed again).
            Ok(names) if names.len() == 1 => self.running_repl(&self.instance(Some(&names[0]))?),
            _ => self.repl(None),
        }
    }
}
