//! Authentication settings, with the variable names Access deployments already set (§6), and the startup
//! validation that fails closed (§5.5, plus the dev-provider guard).

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[derive(Debug, Clone, Args)]
pub struct AuthConfig {
    /// The deployment's environment: `development` and `test` enable the dev identity.
    #[arg(long = "env", env = "ENV", default_value = "development")]
    pub env: String,

    /// Email of the dev identity (a current user of the user directory).
    #[arg(
        long,
        env = "CURRENT_OKTA_USER_EMAIL",
        default_value = "wumpus@discord.com"
    )]
    pub dev_user_email: String,

    /// Allow the dev identity on a non-loopback listen address (anyone who can
    /// reach the port then acts as the dev user).
    #[arg(long, env = "ACCESS_MCP_ALLOW_DEV_ON_NETWORK", default_value = "false",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_dev_on_network: bool,

    /// Cloudflare Access team domain (bare host, e.g. `example.cloudflareaccess.com`).
    #[arg(long, env = "CLOUDFLARE_TEAM_DOMAIN")]
    pub cloudflare_team_domain: Option<String>,

    /// The Cloudflare Access application's AUD tag (required `aud` of its tokens).
    #[arg(long, env = "CLOUDFLARE_APPLICATION_AUDIENCE")]
    pub cloudflare_application_audience: Option<String>,

    /// OIDC discovery document URL; enables the OIDC bearer provider.
    #[arg(long, env = "OIDC_SERVER_METADATA_URL")]
    pub oidc_server_metadata_url: Option<String>,

    /// Required `aud` of OIDC bearer tokens.
    #[arg(long, env = "OIDC_MCP_AUDIENCE")]
    pub oidc_mcp_audience: Option<String>,

    /// Seconds of leeway for `exp`/`nbf`/`iat` of OIDC tokens.
    #[arg(long, env = "OIDC_CLOCK_SKEW", default_value_t = 60)]
    pub oidc_clock_skew: u64,

    /// Scopes of a token that carries no scope claim (comma list; empty fails
    /// closed). Unset: every scope the served capabilities declare.
    #[arg(long, env = "MCP_FALLBACK_SCOPES")]
    pub fallback_scopes: Option<String>,

    /// How long a fetched JWKS is trusted, in seconds.
    #[arg(long, env = "ACCESS_MCP_JWKS_TTL_SECS", default_value_t = 600)]
    pub jwks_ttl_secs: u64,

    /// At most one JWKS refetch per this many seconds when a token names an
    /// unknown `kid` (so random `kid`s cannot make the host hammer the IdP).
    #[arg(long, env = "ACCESS_MCP_JWKS_MIN_REFETCH_SECS", default_value_t = 30)]
    pub jwks_min_refetch_secs: u64,

    /// Seconds a verified identity is reused for the same credentials (0: verify
    /// every request). Never past the token's `exp`.
    #[arg(long, env = "ACCESS_MCP_IDENTITY_CACHE_SECS", default_value_t = 30)]
    pub identity_cache_secs: u64,

    /// How often the OIDC discovery document is refreshed, in seconds.
    #[arg(
        long,
        env = "ACCESS_MCP_OIDC_DISCOVERY_REFRESH_SECS",
        default_value_t = 3600
    )]
    pub oidc_discovery_refresh_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            env: "development".into(),
            dev_user_email: "wumpus@discord.com".into(),
            allow_dev_on_network: false,
            cloudflare_team_domain: None,
            cloudflare_application_audience: None,
            oidc_server_metadata_url: None,
            oidc_mcp_audience: None,
            oidc_clock_skew: 60,
            fallback_scopes: None,
            jwks_ttl_secs: 600,
            jwks_min_refetch_secs: 30,
            identity_cache_secs: 30,
            oidc_discovery_refresh_secs: 3600,
        }
    }
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Settings of the Cloudflare Access provider.
#[derive(Debug, Clone)]
pub struct CloudflareSettings {
    pub certs_url: String,
    /// The required `aud` (the Access application's AUD tag).
    pub audience: String,
    /// The required `iss`: the team domain as a URL.
    pub issuer: String,
    pub jwks_ttl: Duration,
    pub min_refetch: Duration,
}

/// Settings of the OIDC bearer provider.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub metadata_url: String,
    pub audience: String,
    pub leeway: u64,
    pub jwks_ttl: Duration,
    pub min_refetch: Duration,
    pub discovery_refresh: Duration,
}

/// `https://…`, or `http://…` only to a loopback address.
pub fn check_fetch_url(name: &str, raw: &str) -> Result<url::Url, ConfigError> {
    let u = url::Url::parse(raw)
        .map_err(|e| ConfigError(format!("{name} `{raw}` is not a URL: {e}")))?;
    let loopback = match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match u.scheme() {
        "https" => Ok(u),
        "http" if loopback => Ok(u),
        _ => Err(ConfigError(format!(
            "{name} `{raw}` must use https (plain http only to a loopback address)"
        ))),
    }
}

impl AuthConfig {
    pub fn dev_enabled(&self) -> bool {
        matches!(self.env.as_str(), "development" | "test")
            && !self.dev_user_email.trim().is_empty()
            && self.dev_user_email != "Unauthenticated"
    }

    pub fn dev_email(&self) -> Option<String> {
        self.dev_enabled().then(|| self.dev_user_email.clone())
    }

    /// Fail closed on an unsafe or ambiguous configuration (§5.5).
    pub fn validate(&self, listen: SocketAddr) -> Result<(), ConfigError> {
        let cf = set(&self.cloudflare_team_domain);
        let oidc = set(&self.oidc_server_metadata_url);
        if cf.is_some() && oidc.is_some() {
            return Err(ConfigError(
                "CLOUDFLARE_TEAM_DOMAIN and OIDC_SERVER_METADATA_URL are both set: pick one auth model for /mcp".into(),
            ));
        }
        if oidc.is_some() && set(&self.oidc_mcp_audience).is_none() {
            return Err(ConfigError(
                "OIDC_SERVER_METADATA_URL is set but OIDC_MCP_AUDIENCE is not: set OIDC_MCP_AUDIENCE to the audience of the tokens /mcp accepts".into(),
            ));
        }
        if self.dev_enabled() && !listen.ip().is_loopback() && !self.allow_dev_on_network {
            return Err(ConfigError(format!(
                "the dev identity (ENV={}) serves every request as {} and {listen} is not a loopback address; \
                 listen on 127.0.0.1, set ENV=production with a token provider, or pass --allow-dev-on-network",
                self.env, self.dev_user_email
            )));
        }
        self.cloudflare()?;
        self.oidc()?;
        Ok(())
    }

    pub fn cloudflare(&self) -> Result<Option<CloudflareSettings>, ConfigError> {
        let Some(domain) = set(&self.cloudflare_team_domain) else {
            return Ok(None);
        };
        let base = if domain.starts_with("http://") || domain.starts_with("https://") {
            domain.trim_end_matches('/').to_string()
        } else {
            let host = domain.trim_end_matches('/');
            let loopback = host.starts_with("127.")
                || host.starts_with("localhost")
                || host.starts_with("[::1]");
            format!("{}://{host}", if loopback { "http" } else { "https" })
        };
        let certs = format!("{base}/cdn-cgi/access/certs");
        check_fetch_url("CLOUDFLARE_TEAM_DOMAIN", &certs)?;
        let Some(audience) = set(&self.cloudflare_application_audience) else {
            return Err(ConfigError(
                "CLOUDFLARE_TEAM_DOMAIN is set but CLOUDFLARE_APPLICATION_AUDIENCE is not: set it to the Access application's AUD tag, so tokens minted for other applications of the team are refused".into(),
            ));
        };
        Ok(Some(CloudflareSettings {
            certs_url: certs,
            audience: audience.to_string(),
            issuer: base,
            jwks_ttl: Duration::from_secs(self.jwks_ttl_secs.max(1)),
            min_refetch: Duration::from_secs(self.jwks_min_refetch_secs),
        }))
    }

    pub fn oidc(&self) -> Result<Option<OidcSettings>, ConfigError> {
        let Some(url) = set(&self.oidc_server_metadata_url) else {
            return Ok(None);
        };
        check_fetch_url("OIDC_SERVER_METADATA_URL", url)?;
        Ok(Some(OidcSettings {
            metadata_url: url.to_string(),
            audience: set(&self.oidc_mcp_audience).unwrap_or_default().to_string(),
            leeway: self.oidc_clock_skew,
            jwks_ttl: Duration::from_secs(self.jwks_ttl_secs.max(1)),
            min_refetch: Duration::from_secs(self.jwks_min_refetch_secs),
            discovery_refresh: Duration::from_secs(self.oidc_discovery_refresh_secs.max(1)),
        }))
    }

    /// Entries of `authorization_servers` in the protected-resource metadata (§1.4).
    pub fn authorization_servers(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(u) = set(&self.oidc_server_metadata_url) {
            let u = u.trim_end_matches('/');
            let issuer = u
                .strip_suffix("/.well-known/openid-configuration")
                .or_else(|| u.strip_suffix("/.well-known/oauth-authorization-server"))
                .unwrap_or(u);
            out.push(issuer.to_string());
        }
        if let Some(d) = set(&self.cloudflare_team_domain) {
            out.push(d.trim_end_matches('/').to_string());
        }
        out
    }
}
