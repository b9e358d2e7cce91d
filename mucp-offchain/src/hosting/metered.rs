//! The metered adapter: a deployment's versions served as a MUCP service, each call run on a
//! blocking thread with its [`CallBudget`], behind the settlement [`Meter`] when one is given.

use std::sync::Arc;

use crate::{
	executor::{CallBudget, Deployment, VERSION_HEADER},
	peer::Service,
	protocol::{header, Message, MicroError},
	registry::Endpoint,
	settlement::{Meter, Priced},
};

/// A MUCP service answering `endpoints` with `deployment`'s versions: each call runs on a
/// blocking thread, in a fresh (or exactly reset) instance of the version the caller names in
/// [`VERSION_HEADER`] or else the newest healthy one. `version` is the label the registry
/// shows.
pub fn wasm_service(
	deployment: Arc<Deployment>,
	version: &str,
	endpoints: Vec<Endpoint>,
) -> Service {
	metered_wasm_service(deployment, version, endpoints, None)
}

/// [`wasm_service`] whose calls `meter` admits first (refusing those nobody pays for) and
/// counts once answered before the caller's deadline, at `priced`'s service and price.
pub fn metered_wasm_service(
	deployment: Arc<Deployment>,
	version: &str,
	endpoints: Vec<Endpoint>,
	meter: Option<(Arc<Meter>, Priced)>,
) -> Service {
	let mut service = Service::new(deployment.name(), version);
	for endpoint in endpoints {
		let endpoint_name = endpoint.name.clone();
		let deployment = deployment.clone();
		let meter = meter.clone();
		service = service.call(endpoint, move |request: Message| {
			let deployment = deployment.clone();
			let endpoint = endpoint_name.clone();
			let meter = meter.clone();
			async move {
				let id = request.header(header::ID).unwrap_or_default().to_owned();
				let content_type = request.content_type()?;
				let requested = match request.header(VERSION_HEADER) {
					None => None,
					Some(text) => Some(text.trim().parse::<u32>().map_err(|_| {
						MicroError::bad_request(
							&id,
							format!("`{VERSION_HEADER}: {text}` is not a version number"),
						)
					})?),
				};
				let version =
					deployment.route(requested).map_err(|e| MicroError { id: id.clone(), ..e })?;
				let budget = CallBudget::of(&request)?;
				let (failed_id, body) = (id.clone(), request.body.clone());
				let run = async move {
					tokio::task::spawn_blocking(move || {
						budget.enter(|| {
							deployment.call(&id, Some(version), &endpoint, &body, content_type)
						})
					})
					.await
					.map_err(|e| {
						MicroError::internal(failed_id, format!("the executor failed: {e}"))
					})?
				};
				match &meter {
					// Admitted and reserved, run until the caller's deadline, counted if
					// answered in time (see `settlement::Meter::serve`).
					Some((meter, priced)) => meter.serve(&request, *priced, version, run).await,
					None => run.await,
				}
			}
		});
	}
	service
}
