package dev.reconciler.app.api;

import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiConfigTest {

    @Test
    void listensOnLoopbackByDefault() {
        assertThat(ApiConfig.defaults().bindAddress()).isEqualTo("127.0.0.1");
        assertThat(new ApiConfig(null, 8080, null, false).bindAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void problemsAreNamedWithTheirFix() {
        assertThatThrownBy(() -> new ApiConfig("127.0.0.1", 70000, "short", true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("http.port: 70000")
                .hasMessageContaining("http.token: shorter than 16")
                .hasMessageContaining("openssl rand");
        assertThatThrownBy(() -> ApiConfig.defaults().withProtectReads(true))
                .hasMessageContaining("http.protectReads: needs http.token");
        assertThatThrownBy(() -> ApiConfig.defaults().withToken("has a space in it 0123"))
                .hasMessageContaining("printable ASCII");
    }

    @Test
    void theTokenIsNeverPrinted() {
        assertThat(ApiConfig.defaults().withToken(ApiHarness.TOKEN).toString()).doesNotContain(ApiHarness.TOKEN)
                .contains("token=set");
    }

    @Test
    void aTakenPortIsReportedWithTheFixAndCloseIsIdempotent() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            HttpApi second = new HttpApi(ApiConfig.defaults().withPort(taken.getLocalPort()), h.pipeline, h.store,
                    java.util.List.of(), null);
            assertThatThrownBy(second::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("http.port");
            second.close();
            second.close();
            h.api.close();
            h.api.close();   // and once more by the harness
        }
    }
}
