//! A boxed future, as object-safe traits (`Capability`, `UserDirectory`) return them.

use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
