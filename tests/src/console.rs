//! A browser-less client for the manager console: signs in through the real
//! sign-in form (double-submit token, then the session cookie), keeps the cookie
//! and the session's CSRF token, and sends forms the way a browser does.

use reqwest::Response;
use reqwest::header::{COOKIE, SET_COOKIE};

use crate::TestApp;

/// The console's session cookie name.
pub const SESSION_COOKIE: &str = "alongside_console";
pub const SIGN_IN_COOKIE: &str = "alongside_console_sign_in";

/// A signed-in console (one browser).
#[derive(Debug, Clone)]
pub struct Console {
    pub address: String,
    pub client: reqwest::Client,
    /// The session token, as the cookie holds it.
    pub session: String,
    /// The session's CSRF token, read from a rendered form.
    pub csrf: String,
    /// The `Set-Cookie` header that started the session.
    pub set_cookie: String,
}

/// Percent-encodes a form value (`application/x-www-form-urlencoded`).
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A form body from name/value pairs.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&")
}

/// The value of `name="<field>" value="..."` in a page (the first one).
pub fn hidden_value(html: &str, field: &str) -> Option<String> {
    let marker = format!("name=\"{field}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The value a `Set-Cookie` header sets for `name`.
pub fn cookie_value(response: &Response, name: &str) -> Option<String> {
    response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
        let (pair, _) = header.split_once(';').unwrap_or((header, ""));
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim().to_owned())
    })
}

/// The whole `Set-Cookie` header for `name`.
pub fn set_cookie_header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|header| header.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// What a sign-in attempt answered.
pub struct SignInAttempt {
    pub response: Response,
}

/// Fetches the sign-in form and posts `email` and `password` with its token.
/// `extra_headers` lets a test pretend to be behind a TLS proxy.
pub async fn attempt_sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
    extra_headers: &[(&str, &str)],
) -> SignInAttempt {
    let fields = [("email", email), ("password", password)];
    SignInAttempt { response: post_signed_out_form(app, "/console/sign-in", &fields, extra_headers).await }
}

/// Posts one of the forms before sign-in (`/console/sign-in`,
/// `/console/reset-password`) as a browser does: fetches the form, checks its
/// double-submit token (cookie and hidden field equal) and sends it back with
/// `fields` and `extra_headers`.
pub async fn post_signed_out_form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    extra_headers: &[(&str, &str)],
) -> reqwest::Response {
    let form = app.client.get(app.url(path)).send().await.expect("the form answers");
    assert_eq!(form.status(), 200, "GET {path}");
    let cookie = cookie_value(&form, SIGN_IN_COOKIE).expect("the form sets its token cookie");
    let html = form.text().await.expect("the form's page");
    let token = hidden_value(&html, "csrf").expect("the form carries a token");
    assert_eq!(cookie, token, "double-submit: the cookie and the field carry the same token");
    let mut body = vec![("csrf", token.as_str())];
    body.extend_from_slice(fields);
    let mut request = app
        .client
        .post(app.url(path))
        .header(COOKIE, format!("{SIGN_IN_COOKIE}={cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&body));
    for (name, value) in extra_headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the server answers")
}

impl Console {
    /// Signs in and panics unless it works.
    pub async fn sign_in(app: &TestApp, email: &str) -> Self {
        Self::sign_in_with(app, email, crate::PASSWORD).await
    }

    pub async fn sign_in_with(app: &TestApp, email: &str, password: &str) -> Self {
        let attempt = attempt_sign_in(app, email, password, &[]).await;
        let response = attempt.response;
        assert_eq!(response.status(), 303, "sign-in of {email} failed");
        let session = cookie_value(&response, SESSION_COOKIE).expect("a session cookie");
        let set_cookie = set_cookie_header(&response, SESSION_COOKIE).expect("a session cookie header");
        let mut console =
            Self { address: app.address.clone(), client: app.client.clone(), session, csrf: String::new(), set_cookie };
        let page = console.get("/console").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.expect("dashboard");
        console.csrf = hidden_value(&html, "csrf").expect("the sign-out form carries the session's token");
        console
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .header(COOKIE, format!("{SESSION_COOKIE}={}", self.session))
            .send()
            .await
            .expect("the server answers")
    }

    /// GETs and returns (status, body).
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// POSTs a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .header(COOKIE, format!("{SESSION_COOKIE}={}", self.session))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields))
            .send()
            .await
            .expect("the server answers")
    }

    /// POSTs a form with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }
}
