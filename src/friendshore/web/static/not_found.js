// The dashboard's 404 page: names the path that has no page.
import { ready } from "./common.js";

document.getElementById("not-found-path").textContent = window.location.pathname;
ready();
