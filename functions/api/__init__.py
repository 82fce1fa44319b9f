"""HTTP for the functions behind the API (ActivateFunction, ExportFunction): the REST resolver they share, who
may call each route (`rest.roles`), and domain errors as HTTP answers."""
